#!/usr/bin/env bash
# 告警链路端到端测试（全部在本机回环地址上运行，约 2-3 分钟）：
#   本机 RSS 测试源（scripts/e2e/feed）→ yuqing 守护进程 → Prometheus（项目告警规则，
#   抓取、评估间隔 2s）→ Alertmanager（由 configs/alertmanager/alertmanager.yml 生成：同样的
#   路由、分组、抑制和模板，接收方全部改为本机 webhook，repeat_interval 缩短为 10s）
#   → webhook 接收端（scripts/e2e/webhook，记录到文件）；宣传科、信访科另经 yuqing 守护进程的
#   /alertmanager/wecom/… 转发到企业微信群机器人（scripts/e2e/webhook -wecom-key：本机模拟的群机器人，
#   按真实协议校验 key 和消息）。测试配置：Ⅳ级跟进期限 90 秒。
# 检查：
#   1. Ⅱ级帖子发布后 2 分钟内成为告警，送达宣传科、信访科、值班三个接收方，带事件编号、等级、
#      类别、标题（已脱敏）、来源、首帖摘要（已脱敏）、签收期限、控制台链接；用 amtool 把收到的
#      通知按中文模板渲染并逐项核对，渲染结果只能有中文（scripts/check-notification-text.sh：
#      没有告警规则名、英文时长、数据源名称等）；同一事件的跟进期限提醒被抑制；未办结期间重复通知；
#      宣传科的群机器人收到同一事件的 markdown 通知，文字与 amtool 按模板渲染的完全相同（信访科的
#      机器人在 yuqing.yaml 中未启用：守护进程收下通知、不发送）；
#   2. 在控制台（有 API 令牌时经 /api/v1，否则提交表单）签收并办结后，三个接收方都收到
#      “已恢复”通知，此后不再通知；
#   3. 无人处理的Ⅳ级事件过了跟进期限后，只有值班接收方收到跟进超时告警。
#   4. 换主（需要 PostgreSQL，见 YUQING_TEST_POSTGRES）：两个守护进程共用一个 PostgreSQL schema（本次
#      测试自建、结束时删除；心跳 1s、租约时长 5s），都被 Prometheus 抓取；Ⅱ级事件告警送达后用 SIGKILL
#      杀掉主实例：另一实例须在租约时长内成为主实例（yuqing_leader 指标和 yuqing status），换主前后
#      该事件的告警在 Prometheus 中始终触发、恰好一条、开始时刻不变，Alertmanager 中只有一条，
#      webhook 收不到“已恢复”通知，每次通知只有一条立案告警。输出换主用时。
# 输出端到端告警延迟（帖子在网站上发布 → webhook 收到告警，及各段）。任何一项失败即以非零状态退出。
# 需要 Go、curl；缺少 prometheus / alertmanager / jq 时自动安装（Debian 软件包，需要 root 或 sudo）。
# 环境变量：E2E_RELEASE_DELAY=秒数 首次抓取后再等多久发布Ⅱ级帖子（默认 0，即约等一个抓取间隔）；
#           E2E_KEEP=1 保留临时目录（日志、配置、收到的通知）便于排查。
#           E2E_ONLY=failover 只运行第 4 项（换主）；E2E_FAILOVER_SIGNAL=STOP 让主实例挂起（SIGSTOP）
#           而不是被杀（默认 KILL）：另一实例在租约时长加一个心跳内接任，其间 Prometheus 抓不到事件序列；YUQING_TEST_POSTGRES=连接串 换主测试用的数据库
#           （默认 postgres://postgres@127.0.0.1:5432/test?sslmode=disable，须能建 schema）；数据库不可用时
#           跳过第 4 项，YUQING_REQUIRE_POSTGRES=1（CI）时失败。
# 签收、办结通过控制台的 JSON API（经办人账号 + `yuqing token add` 生成的令牌）完成，见 console_action。
# End-to-end alert test on loopback: feed -> yuqing -> Prometheus -> Alertmanager -> webhook.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

T0=$(date +%s)
log() { printf '[%s +%3ds] %s\n' "$(date +%H:%M:%S)" "$(($(date +%s) - T0))" "$*"; }

TMP=""
PIDS=()
declare -A PID_OF=()
# The failover case's PostgreSQL (trust authentication) and its schema.
PG_BASE=${YUQING_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
FO_SCHEMA=""
FAILED=0
fail() {
	FAILED=1
	echo >&2
	echo "失败 / FAIL: $*" >&2
	exit 1
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "$FO_SCHEMA" ]; then
		psql "$PG_BASE" -qc "DROP SCHEMA $FO_SCHEMA CASCADE" >/dev/null 2>&1 ||
			echo "删除 PostgreSQL schema $FO_SCHEMA 失败，请手工删除" >&2
	fi
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		if [ $rc -ne 0 ] || [ $FAILED -ne 0 ]; then
			local f
			for f in "$TMP"/logs/*.log; do
				[ -s "$f" ] || continue
				echo "---- $(basename "$f")（最后 25 行 / last 25 lines）" >&2
				tail -n 25 "$f" >&2
			done
			if [ -s "$TMP/robot.jsonl" ]; then
				echo "---- 企业微信群机器人收到的消息 / robot messages:" >&2
				jq -c '{t: .received_ms, m: .payload.content[0:120]}' "$TMP/robot.jsonl" >&2 || true
			fi
			if [ -s "$TMP/hook.jsonl" ]; then
				echo "---- 收到的通知 / notifications received:" >&2
				jq -c '{t: .received_ms, r: .payload.receiver, s: .payload.status,
					a: [.payload.alerts[] | "\(.status) \(.labels.alertname) \(.labels.number // "")"]}' \
					"$TMP/hook.jsonl" >&2 || true
			fi
		fi
		if [ "${E2E_KEEP:-0}" = 1 ]; then
			echo "临时目录已保留 / kept: $TMP" >&2
		else
			rm -rf "$TMP"
		fi
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tools

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		fail "需要 root 权限（或 sudo）安装 $* / need root to install packages"
	fi
}

# Debian's prometheus and prometheus-alertmanager (does nothing when present).
if ! install_out=$(bash scripts/install-prom-tools.sh 2>&1); then
	echo "$install_out" >&2
	fail "安装 prometheus / prometheus-alertmanager 失败"
fi
AMBIN=$(command -v prometheus-alertmanager || command -v alertmanager || true)
command -v prometheus >/dev/null 2>&1 || fail "找不到 prometheus / prometheus not found"
[ -n "$AMBIN" ] || fail "找不到 alertmanager / alertmanager not found"
if ! command -v jq >/dev/null 2>&1; then
	log "安装 jq"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends jq ||
		{ as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends jq; }
fi
for tool in go curl jq promtool amtool; do
	command -v "$tool" >/dev/null 2>&1 || fail "找不到 $tool / $tool not found"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/yuqing-e2e.XXXXXX")
mkdir -p "$TMP/bin" "$TMP/logs" "$TMP/feed" "$TMP/yuqing/configs" "$TMP/prom/data" "$TMP/am/data"

# free_port prints a loopback TCP port nobody listens on, below the kernel's
# ephemeral range so outgoing connections do not take it meanwhile.
USED_PORTS=" "
free_port() {
	local p
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 12000))
		case $USED_PORTS in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			USED_PORTS="$USED_PORTS$p "
			echo "$p"
			return
		fi
	done
	fail "找不到空闲端口 / no free port"
}

# wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND every second.
wait_for() {
	local limit=$1 what=$2
	shift 2
	local end=$(($(date +%s) + limit))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || fail "等待超时（${limit}s）：$what / timed out: $what"
		sleep 1
	done
}

# start NAME COMMAND...: run COMMAND in the background, logging to logs/NAME.log.
start() {
	local name=$1
	shift
	"$@" >"$TMP/logs/$name.log" 2>&1 &
	PIDS+=($!)
	PID_OF[$name]=$!
}

# stop NAME: end what start NAME started (TERM, then KILL after 5s).
stop() {
	local pid=${PID_OF[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

alive() {
	local pid=${PIDS[-1]}
	kill -0 "$pid" 2>/dev/null || fail "$1 启动后立即退出 / $1 exited"
}

# ---------------------------------------------------------------- build

log "构建 yuqing 与测试程序 / building"
go build -o "$TMP/bin/yuqing" ./cmd/yuqing
go build -o "$TMP/bin/" ./scripts/e2e/webhook ./scripts/e2e/feed ./scripts/e2e/amconfig

YQ_PORT=$(free_port)
PROM_PORT=$(free_port)
AM_PORT=$(free_port)
YQ="http://127.0.0.1:$YQ_PORT"
PROM="http://127.0.0.1:$PROM_PORT"
AM="http://127.0.0.1:$AM_PORT"
HOOK_FILE="$TMP/hook.jsonl"
: >"$HOOK_FILE"
ROBOT_FILE="$TMP/robot.jsonl"
: >"$ROBOT_FILE"
ROBOT_KEY=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

# ---------------------------------------------------------------- webhook, feed

start webhook "$TMP/bin/webhook" -listen 127.0.0.1:0 -out "$HOOK_FILE" -addr-file "$TMP/hook.addr"
wait_for 10 "webhook 接收端启动" test -s "$TMP/hook.addr"
HOOK="http://$(cat "$TMP/hook.addr")"

# 宣传科的企业微信群机器人（只接受 ROBOT_KEY）。
start robot "$TMP/bin/webhook" -listen 127.0.0.1:0 -out "$ROBOT_FILE" -addr-file "$TMP/robot.addr" -wecom-key "$ROBOT_KEY"
wait_for 10 "企业微信群机器人启动" test -s "$TMP/robot.addr"
ROBOT="http://$(cat "$TMP/robot.addr")"

start feed "$TMP/bin/feed" -listen 127.0.0.1:0 -state "$TMP/feed"
wait_for 10 "RSS 测试源启动" test -s "$TMP/feed/addr"
FEED="http://$(cat "$TMP/feed/addr")"
log "webhook $HOOK，RSS 测试源 $FEED（Ⅱ级帖子在全部服务就绪后发布）"

# ---------------------------------------------------------------- alertmanager

# Alertmanager's repeat_interval in the test (the shipped 1h/4h, shortened):
# a firing incident must be notified again until it is closed, and never after.
REPEAT=10s
# start_alertmanager NAME YUQING-URL: Alertmanager at $AM (port $AM_PORT), state
# in $TMP/NAME, notifications to $HOOK; the 企业微信 forwarder at YUQING-URL.
start_alertmanager() {
	local name=$1 yuqing=$2
	mkdir -p "$TMP/$name/data"
	"$TMP/bin/amconfig" -in configs/alertmanager/alertmanager.yml -out "$TMP/$name/alertmanager.yml" \
		-webhook "$HOOK" -group-wait 1s -group-interval 5s -repeat-interval "$REPEAT" \
		-yuqing "$yuqing" -token-file "$METRICS_TOKEN_FILE"
	amtool check-config "$TMP/$name/alertmanager.yml" >"$TMP/logs/amtool.log" 2>&1 ||
		{ cat "$TMP/logs/amtool.log" >&2; fail "生成的 Alertmanager 配置无效 / generated config invalid"; }
	start "$name" "$AMBIN" --config.file="$TMP/$name/alertmanager.yml" --storage.path="$TMP/$name/data" \
		--web.listen-address="127.0.0.1:$AM_PORT" --web.external-url="$AM/" --cluster.listen-address=
	alive "$name"
	wait_for 30 "Alertmanager $AM/-/ready" curl -fsS "$AM/-/ready"
	log "Alertmanager 已启动 $AM"
}

# ---------------------------------------------------------------- prometheus

# start_prometheus NAME TARGET...: Prometheus at $PROM (port $PROM_PORT), data
# in $TMP/NAME, the project's rules, scraping the yuqing daemons TARGET...
# (host:port) every 2s and alerting $AM.
start_prometheus() {
	local name=$1 targets
	shift
	targets=$(printf '"%s", ' "$@")
	mkdir -p "$TMP/$name/data"
	cat >"$TMP/$name/prometheus.yml" <<EOF
global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files:
  - $ROOT/configs/prometheus/yuqing.rules.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:$AM_PORT"]
scrape_configs:
  - job_name: yuqing
    authorization:
      credentials_file: $METRICS_TOKEN_FILE
    static_configs:
      - targets: [${targets%, }]
EOF
	promtool check config "$TMP/$name/prometheus.yml" >"$TMP/logs/promtool.log" 2>&1 ||
		{ cat "$TMP/logs/promtool.log" >&2; fail "Prometheus 配置无效 / prometheus config invalid"; }
	start "$name" prometheus --config.file="$TMP/$name/prometheus.yml" --storage.tsdb.path="$TMP/$name/data" \
		--web.listen-address="127.0.0.1:$PROM_PORT" --web.external-url="$PROM/"
	alive "$name"
	wait_for 30 "Prometheus $PROM/-/ready" curl -fsS "$PROM/-/ready"
	log "Prometheus 已启动 $PROM（抓取、评估间隔 2s，抓取 $*）"
}

# ---------------------------------------------------------------- helpers

# ms MILLISECONDS prints them as seconds with three decimals.
ms() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# alerts prints one JSON object per delivered alert:
# {t: received_ms, receiver, status, labels, annotations}.
alerts() {
	jq -c '.received_ms as $t | .payload.receiver as $r | .payload.alerts[] |
		{t: $t, receiver: $r, status, labels, annotations}' "$HOOK_FILE"
}

# delivered FILTER: some delivered alert matches the jq FILTER.
delivered() {
	[ -n "$(alerts | jq -c "select($1)")" ]
}

# delivered_at_least N FILTER: at least N delivered alerts match FILTER.
delivered_at_least() {
	[ "$(alerts | jq -c "select($2)" | wc -l)" -ge "$1" ]
}

# prom_query EXPR: the first result's metric (and value) as JSON, or nothing.
prom_query() {
	curl -fsS --get "$PROM/api/v1/query" --data-urlencode "query=$1" | jq -ce '.data.result[0] // empty'
}

# console_action ACTION NUMBER NOTE: do ACTION (ack = 签收, close = 办结) on an
# incident as staff would, through POST $YQ/api/v1/incidents/NUMBER/ACTION
# with JSON {"note": NOTE} and the bearer token from console_setup; expects 2xx.
console_action() {
	local action=$1 number=$2 note=$3 code
	code=$(curl -sS -o "$TMP/console.out" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $API_TOKEN" -H 'Content-Type: application/json' \
		--data "$(jq -cn --arg note "$note" '{note: $note}')" \
		"$YQ/api/v1/incidents/$number/$action") || fail "控制台 API 请求失败 POST /api/v1/incidents/$number/$action"
	case $code in 2??) ;; *) fail "POST /api/v1/incidents/$number/$action 返回 $code：$(head -c 300 "$TMP/console.out")" ;; esac
}

# render_payload NAME JQ-SELECT [+WANT | -UNWANTED]...: render the first
# notification (whole webhook payload) matching JQ-SELECT through the
# shipped Chinese template yuqing.wechat (the e-mail body is the same text)
# with amtool, and require (+) or forbid (-) each literal string. The text
# must hold Chinese only (scripts/check-notification-text.sh).
render_payload() {
	local name=$1 sel=$2
	shift 2
	jq -cs "map(select($sel)) | .[0].payload // empty" "$HOOK_FILE" >"$TMP/payload-$name.json"
	[ -s "$TMP/payload-$name.json" ] || fail "没有可渲染的通知：$name"
	amtool template render --template.glob="$ROOT/configs/alertmanager/templates/*.tmpl" \
		--template.text='{{ template "yuqing.wechat" . }}' --template.data="$TMP/payload-$name.json" \
		>"$TMP/rendered-$name.txt" 2>&1 || fail "模板渲染失败（$name）：$(cat "$TMP/rendered-$name.txt")"
	bash "$ROOT/scripts/check-notification-text.sh" -n "通知（$name）" "$TMP/rendered-$name.txt" ||
		fail "通知（$name）中有英文或内部标识：
$(cat "$TMP/rendered-$name.txt")"
	local w
	for w in "$@"; do
		case $w in
		+*) grep -qF -- "${w#+}" "$TMP/rendered-$name.txt" || fail "通知模板（$name）缺少“${w#+}”：
$(cat "$TMP/rendered-$name.txt")" ;;
		-*) ! grep -qF -- "${w#-}" "$TMP/rendered-$name.txt" || fail "通知模板（$name）不应出现“${w#-}”：
$(cat "$TMP/rendered-$name.txt")" ;;
		esac
	done
}

# ---------------------------------------------------------------- console access

# console_setup makes a handler account (签收, 办结) and its API token in the
# test database before the daemon opens it, as operators set up automation.
API_TOKEN=""
console_setup() {
	"$TMP/bin/yuqing" user add -config "$CFG" -name e2e-alerts -role handler -display 端到端测试 \
		>"$TMP/logs/user.log" 2>&1 || { cat "$TMP/logs/user.log" >&2; fail "yuqing user add 失败"; }
	"$TMP/bin/yuqing" token add -config "$CFG" -user e2e-alerts -name 端到端告警测试 -ttl 1h \
		>"$TMP/logs/token.log" 2>&1 || { cat "$TMP/logs/token.log" >&2; fail "yuqing token add 失败"; }
	API_TOKEN=$(grep -o 'yq_[A-Za-z0-9_-]*' "$TMP/logs/token.log" | tail -n 1)
	[ -n "$API_TOKEN" ] || fail "yuqing token add 没有输出令牌：$(cat "$TMP/logs/token.log")"
}

# ---------------------------------------------------------------- yuqing

CFG="$TMP/yuqing/configs/yuqing.yaml"
# The shipped configuration with loopback addresses, the repository's rules,
# dictionary, calendar (every relative *_file / *_dir but sources_file made
# absolute) and short deadlines: Ⅳ follow-up 90s (overdue alert within the test), Ⅱ
# follow-up 1h (a YuqingFollowUpDueSoon that the Ⅱ alert must inhibit).
# /metrics behind a token, as a deployment beyond loopback should be: the
# alerts below only arrive if Prometheus scrapes with it.
METRICS_TOKEN_FILE="$TMP/yuqing/prometheus.token"
od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$METRICS_TOKEN_FILE"
chmod 600 "$METRICS_TOKEN_FILE"
METRICS_AUTH="Authorization: Bearer $(cat "$METRICS_TOKEN_FILE")"
sed -e "s|^listen: .*|listen: 127.0.0.1:$YQ_PORT|" \
	-e "s|^  token_file: .*|  token_file: $METRICS_TOKEN_FILE|" \
	-e "s|^external_url: .*|external_url: \"$YQ\"|" \
	-e "s|^  path: .*|  path: $TMP/yuqing/yuqing.db|" \
	-e "/^sources_file:/! s#^\([a-z_]*_\(file\|dir\)\): *\([^/\"][^ ]*\)\$#\1: $ROOT/configs/\3#" \
	-e "/^  2:/,/followup:/ s|followup: .*|followup: 1h|" \
	-e "/^  4:/,/followup:/ s|followup: .*|followup: 90s|" \
	configs/yuqing.yaml | awk '/^(delivery|reports):/ { skip = 1; next } skip && /^[a-z_]+:/ { skip = 0 } !skip' >"$CFG"
# The shipped delivery section is placeholders (and the reports section names
# them: dropped too): 宣传科's robot is the loopback
# one here, 信访科's stays disabled as shipped.
echo "$ROBOT_KEY" >"$TMP/yuqing/robot.key"
chmod 600 "$TMP/yuqing/robot.key"
cat >>"$CFG" <<EOF
delivery:
  retry: {attempts: 3, initial: 1s, max: 2s, timeout: 10s}
  receivers:
    - name: xuanchuan
      enabled: true
      wecom:
        key_file: $TMP/yuqing/robot.key
        api_url: $ROBOT/cgi-bin/webhook/
    - name: xinfang
      enabled: false
      wecom:
        key_file: /nonexistent/xinfang-robot.key
EOF
for want in "listen: 127.0.0.1:$YQ_PORT" "external_url: \"$YQ\"" "path: $TMP/yuqing/yuqing.db" \
	"rules_file: $ROOT/configs/rules.yaml" "dict_dir: $ROOT/configs/dict" "followup: 1h" "followup: 90s" \
	"token_file: $METRICS_TOKEN_FILE"; do
	grep -qF "$want" "$CFG" || fail "无法从 configs/yuqing.yaml 生成测试配置（缺少“$want”，文件格式可能已改变）"
done
cat >"$TMP/yuqing/configs/sources.yaml" <<EOF
# 端到端测试：本机 RSS 测试源（scripts/e2e/feed）。
sources:
  - name: e2e-news
    title: 岚川新闻网·民生（测试）
    kind: rss
    url: $FEED/rss.xml
    interval: 1m
    delay: 500ms
    encoding: utf-8
    weight: 1.0
    max_items: 50
EOF
"$TMP/bin/yuqing" check -config "$CFG" >"$TMP/logs/yuqing-check.log" 2>&1 ||
	{ cat "$TMP/logs/yuqing-check.log" >&2; fail "测试配置未通过 yuqing check / test config invalid"; }

# The single-instance cases (1-3, SQLite) unless E2E_ONLY=failover.
if [ "${E2E_ONLY:-}" != failover ]; then

console_setup
start yuqing "$TMP/bin/yuqing" run -config "$CFG"
alive yuqing
wait_for 60 "yuqing 守护进程 $YQ/metrics" curl -fsS -H "$METRICS_AUTH" "$YQ/metrics"
code=$(curl -s -o /dev/null -w '%{http_code}' "$YQ/metrics")
[ "$code" = 401 ] || fail "不带令牌访问 /metrics 应返回 401，实际为 $code"
log "yuqing 守护进程已启动 $YQ（/metrics 需令牌）"
# The Chinese names the source and rule alerts look up (alerting.CatalogExporter).
curl -fsS -H "$METRICS_AUTH" "$YQ/metrics" >"$TMP/metrics.txt"
grep -qF 'yuqing_source_info{source="e2e-news",title="岚川新闻网·民生（测试）"} 1' "$TMP/metrics.txt" ||
	fail "/metrics 没有数据源的中文名称 yuqing_source_info{source=\"e2e-news\",title=\"岚川新闻网·民生（测试）\"}"
grep -q '^yuqing_rule_name_info{.*rule="core_title"' "$TMP/metrics.txt" ||
	fail "/metrics 没有规则说明 yuqing_rule_name_info{rule=\"core_title\"}"

start_alertmanager am "$YQ"
start_prometheus prom "127.0.0.1:$YQ_PORT"

# ---------------------------------------------------------------- 1. Ⅱ alert

# The Ⅳ post, visible from the start, is filed and exported: the daemon has
# crawled once. Publish the Ⅱ post now, so it waits for the next crawl
# (interval 1m) - close to the longest wait a post can have.
wait_for 60 "Ⅳ级帖子立案并被 Prometheus 抓到" prom_query 'yuqing_incident_info{level="4"}'
sleep "${E2E_RELEASE_DELAY:-0}"
curl -fsS -X POST -o /dev/null "$FEED/-/release" || fail "发布Ⅱ级帖子失败 / feed release failed"
RELEASE_MS=$(cat "$TMP/feed/release_ms")
log "Ⅱ级帖子已在测试源发布 / Ⅱ post published"
MAJOR='.status=="firing" and .labels.alertname=="YuqingMajorIncident" and .labels.level=="2"'
log "等待Ⅱ级帖子发布并成为告警（最长 2 分钟）/ waiting for the Ⅱ alert"
remaining=$(((RELEASE_MS + 120000 - $(date +%s%3N)) / 1000))
wait_for "$remaining" "Ⅱ级帖子发布后 2 分钟内收到 YuqingMajorIncident 告警" delivered "$MAJOR"
FIRST=$(alerts | jq -cs "map(select($MAJOR)) | sort_by(.t) | .[0]")
NUMBER=$(jq -r '.labels.number' <<<"$FIRST")
FIRED_MS=$(jq -r '.t' <<<"$FIRST")
SERVED_MS=$(cat "$TMP/feed/served_ms" 2>/dev/null || echo "$RELEASE_MS")
log "收到Ⅱ级事件 $NUMBER 的告警（$(jq -r .receiver <<<"$FIRST")）"

# The same incident reaches 宣传科, 信访科 and the duty officers.
for r in yuqing-xuanchuan yuqing-xinfang yuqing-duty; do
	wait_for 20 "$NUMBER 的告警送达 $r" delivered "$MAJOR and .labels.number==\"$NUMBER\" and .receiver==\"$r\""
done

# check_alert JSON JQ-CONDITION DESCRIPTION
check_alert() {
	jq -e "$2" <<<"$1" >/dev/null || fail "$NUMBER 的告警字段不符：$3
$(jq . <<<"$1")"
}
A=$(alerts | jq -cs "map(select($MAJOR and .labels.number==\"$NUMBER\" and .receiver==\"yuqing-xuanchuan\")) | .[0]")
check_alert "$A" '.labels.number | test("^[A-Z]+-[0-9]{8}-[0-9]{4}$")' "事件编号格式 / number"
check_alert "$A" '.labels.level=="2" and .labels.level_name=="重大" and .labels.severity=="critical" and .labels.team=="duty"' "等级 / level"
check_alert "$A" '.labels.category=="system" and (.labels.category_name | length > 0)' "类别 / category"
check_alert "$A" '.labels.title | (contains("全市结算中断") and contains("138****5678"))' "标题（脱敏）/ masked title"
check_alert "$A" '.labels.source=="岚川新闻网·民生（测试）"' "来源 / source"
check_alert "$A" ".labels.link==\"$YQ/incidents/$NUMBER\"" "控制台链接 / console link"
check_alert "$A" '.annotations.description | test("签收期限：[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}（北京时间）")' "签收期限 / ack deadline"
check_alert "$A" ".annotations.summary | contains(\"Ⅱ级\") and contains(\"$NUMBER\")" "summary"
check_alert "$A" '.annotations.title_zh=="Ⅰ级（特别重大）/Ⅱ级（重大）舆情事件"' "中文名称 / title_zh"
check_alert "$A" '.labels.excerpt | (length > 0 and length <= 80 and contains("结算"))' "首帖摘要 / excerpt"
if grep -q '13812345678' "$HOOK_FILE"; then
	fail "通知中出现未脱敏的电话号码 / unmasked phone number in a notification"
fi
curl -fsS -o /dev/null "$YQ/incidents/$NUMBER" || fail "告警中的控制台链接打不开 / console link broken"

# Its follow-up reminder (1h away) fires in Prometheus (after its for: 1m,
# so always after the Ⅱ alert) but is inhibited.
wait_for 90 "$NUMBER 的 YuqingFollowUpDueSoon 在 Alertmanager 中被抑制" sh -c \
	"curl -fsS '$AM/api/v2/alerts?filter=alertname%3D%22YuqingFollowUpDueSoon%22&filter=number%3D%22$NUMBER%22' |
		jq -e 'length > 0 and all(.status.state==\"suppressed\" and (.status.inhibitedBy | length > 0))'"
sleep 6 # one group_interval: an uninhibited reminder would have been delivered by now
if delivered ".status==\"firing\" and .labels.alertname==\"YuqingFollowUpDueSoon\" and .labels.number==\"$NUMBER\""; then
	fail "$NUMBER 的跟进期限提醒未被Ⅱ级告警抑制 / reminder not inhibited"
fi
log "字段、路由（宣传科、信访科、值班）和抑制检查通过"

# What 宣传科 reads (WeCom / e-mail text), rendered from the payload it got.
render_payload major ".payload.receiver==\"yuqing-xuanchuan\" and .payload.status==\"firing\" and .payload.groupLabels.number==\"$NUMBER\"" \
	"+【舆情告警】$NUMBER Ⅱ级重大" "+事件编号：$NUMBER" "+等级：Ⅱ级 重大" "+类别：$(jq -r .labels.category_name <<<"$A")" \
	"+标题：$(jq -r .labels.title <<<"$A")" "+来源：岚川新闻网·民生（测试）" "+摘要：$(jq -r .labels.excerpt <<<"$A")" \
	"+签收期限：" "+（北京时间）" "+链接：$YQ/incidents/$NUMBER" "+● 告警：Ⅰ级（特别重大）/Ⅱ级（重大）舆情事件" \
	"+紧急程度：紧急" "+处置指引：《告警处置手册》“Ⅰ级（特别重大）/Ⅱ级（重大）舆情事件”一节" \
	"-<no value>" "-13812345678" "-yuqing.example"
log "通知模板渲染检查通过（事件编号、等级、类别、标题、来源、摘要、期限、链接）"

# 宣传科's WeCom group robot, through the daemon's forwarder: the same text
# as amtool's rendering of the same notification, the subject in bold.
robot_received() {
	jq -e --arg want "$1" 'select(.payload.msgtype=="markdown" and (.payload.content | contains($want)))' "$ROBOT_FILE" >/dev/null
}
wait_for 30 "宣传科的企业微信群机器人收到 $NUMBER 的告警" robot_received "【舆情告警】$NUMBER"
jq -rs --arg n "【舆情告警】$NUMBER" 'map(select(.payload.content | contains($n))) | .[0].payload.content' "$ROBOT_FILE" \
	>"$TMP/robot-major.md"
sed '1s/^\*\*\(.*\)\*\*$/\1/' "$TMP/robot-major.md" >"$TMP/robot-major.txt"
# (amtool prints no newline after the text: compare the lines.)
if ! diff -u <(printf '%s\n' "$(cat "$TMP/rendered-major.txt")") <(printf '%s\n' "$(cat "$TMP/robot-major.txt")") \
	>"$TMP/robot-major.diff"; then
	fail "群机器人收到的通知与 Alertmanager 模板渲染的不同：
$(cat "$TMP/robot-major.diff")"
fi
head -n 1 "$TMP/robot-major.md" | grep -q '^\*\*【舆情告警】.*\*\*$' || fail "群机器人通知的标题行不是粗体：$(head -n 1 "$TMP/robot-major.md")"
bash "$ROOT/scripts/check-notification-text.sh" -n "群机器人通知" "$TMP/robot-major.md" ||
	fail "群机器人通知中有英文或内部标识"
if grep -q '13812345678' "$ROBOT_FILE"; then
	fail "群机器人通知中出现未脱敏的电话号码"
fi
wait_for 15 "信访科的机器人未启用：守护进程收下通知并记录未转发" \
	grep -q '企业微信群机器人未启用，告警未转发.*receiver=xinfang' "$TMP/logs/yuqing.log"
log "宣传科的企业微信群机器人收到 $NUMBER 的通知（经守护进程转发，文字与模板渲染相同）"

# Repeated until closed: with repeat_interval $REPEAT the open incident is notified again.
FIRING_XC=".status==\"firing\" and .labels.alertname==\"YuqingMajorIncident\" and .labels.number==\"$NUMBER\" and .receiver==\"yuqing-xuanchuan\""
wait_for 30 "$NUMBER 未办结时按 repeat_interval 重复通知" delivered_at_least 2 "$FIRING_XC"
log "未办结期间已重复通知 $(alerts | jq -c "select($FIRING_XC)" | wc -l) 次（宣传科）"

# ---------------------------------------------------------------- 2. ack + close

log "在控制台签收、办结 $NUMBER / acknowledging and closing"
console_action ack "$NUMBER" 已签收，启动应急响应
wait_for 15 "签收后 ack 期限序列消失" sh -c \
	"! curl -fsS -H '$METRICS_AUTH' '$YQ/metrics' | grep -F 'number=\"$NUMBER\"' | grep -qF 'stage=\"ack\"'"
console_action close "$NUMBER" 系统已恢复，已在官网发布情况说明
CLOSED_MS=$(date +%s%3N)
# The incident's log records both steps under the token's account.
curl -fsS -H "Authorization: Bearer $API_TOKEN" "$YQ/api/v1/incidents/$NUMBER" >"$TMP/incident.json" ||
	fail "GET /api/v1/incidents/$NUMBER 失败"
jq -e '.incident.status=="closed" and ([.events[] | select(.actor | contains("e2e-alerts") or contains("端到端测试")) | .kind] as $k |
	($k | index("acknowledged")) != null and ($k | index("closed")) != null)' "$TMP/incident.json" >/dev/null ||
	fail "$NUMBER 的状态或处置记录不符：$(jq -c '{status: .incident.status, events: [.events[] | {kind, actor}]}' "$TMP/incident.json")"
RESOLVED=".status==\"resolved\" and .labels.alertname==\"YuqingMajorIncident\" and .labels.number==\"$NUMBER\""
for r in yuqing-xuanchuan yuqing-xinfang yuqing-duty; do
	wait_for 60 "办结后 $r 收到 $NUMBER 的恢复通知" delivered "$RESOLVED and .receiver==\"$r\""
done
RESOLVED_MS=$(alerts | jq -s "map(select($RESOLVED)) | map(.t) | min")
log "已收到恢复通知（办结后 $(((RESOLVED_MS - CLOSED_MS) / 1000)) 秒）"
render_payload resolved ".payload.receiver==\"yuqing-xinfang\" and .payload.status==\"resolved\" and .payload.groupLabels.number==\"$NUMBER\"" \
	"+【已恢复】$NUMBER" "+○ 已恢复：Ⅰ级（特别重大）/Ⅱ级（重大）舆情事件" "+Ⅱ级重大舆情 $NUMBER" \
	"+事件编号：$NUMBER" "+恢复于 " "-● 告警" "-<no value>"
wait_for 30 "宣传科的企业微信群机器人收到 $NUMBER 的恢复通知" robot_received "【已恢复】$NUMBER"
MAJOR_NUMBER=$NUMBER

# ---------------------------------------------------------------- 3. Ⅳ overdue

IV=$(prom_query 'yuqing_incident_info{level="4"}') || fail "没有Ⅳ级事件 / no Ⅳ incident (yuqing_incident_info{level=\"4\"})"
IV_NUMBER=$(jq -r '.metric.number' <<<"$IV")
DUE=$(prom_query "yuqing_incident_deadline_timestamp_seconds{number=\"$IV_NUMBER\",stage=\"followup\"}" | jq -r '.value[1]') ||
	fail "$IV_NUMBER 没有跟进期限序列"
log "等待Ⅳ级事件 $IV_NUMBER 的跟进期限（$(date -d "@$DUE" +%H:%M:%S)）过后告警"
OVERDUE=".status==\"firing\" and .labels.alertname==\"YuqingFollowUpOverdue\" and .labels.number==\"$IV_NUMBER\""
remaining=$((DUE - $(date +%s) + 45))
[ $remaining -gt 0 ] || remaining=45
wait_for "$remaining" "$IV_NUMBER 过期后 45 秒内收到 YuqingFollowUpOverdue" delivered "$OVERDUE"
B=$(alerts | jq -cs "map(select($OVERDUE)) | sort_by(.t) | .[0]")
NUMBER=$IV_NUMBER
check_alert "$B" '.receiver=="yuqing-duty" and .labels.severity=="warning" and .labels.level=="4"' "Ⅳ级超时送达值班 / routed to duty"
check_alert "$B" '.annotations.description | test("跟进期限：.*已超时 ([0-9]+天[0-9]+小时|[0-9]+小时[0-9]+分|[0-9]+分钟|不到1分钟)\n")' "跟进期限、超时时长 / follow-up deadline, overdue by"
check_alert "$B" ".labels.link==\"$YQ/incidents/$IV_NUMBER\" and (.labels.title | length > 0) and .labels.source==\"岚川新闻网·民生（测试）\"" "链接、标题、来源"
if delivered ".labels.number==\"$IV_NUMBER\" and (.receiver==\"yuqing-xuanchuan\" or .receiver==\"yuqing-xinfang\")"; then
	fail "Ⅳ级事件 $IV_NUMBER 不应通知宣传科、信访科 / Ⅳ must not reach 宣传/信访"
fi
OVERDUE_MS=$(jq -r .t <<<"$B")
render_payload overdue ".payload.receiver==\"yuqing-duty\" and .payload.groupLabels.number==\"$IV_NUMBER\" and any(.payload.alerts[]; .status==\"firing\" and .labels.alertname==\"YuqingFollowUpOverdue\")" \
	"+【舆情告警】$IV_NUMBER Ⅳ级一般" "+● 告警：跟进回复超时" "+事件编号：$IV_NUMBER" "+等级：Ⅳ级 一般" "+跟进期限：" "+已超时" \
	"+紧急程度：重要" "+处置指引：《告警处置手册》“跟进回复超时”一节" \
	"+摘要：" "+链接：$YQ/incidents/$IV_NUMBER" "-<no value>"

# Closed means no more reminders: nothing firing for the Ⅱ incident after its resolution.
if delivered ".status==\"firing\" and .labels.number==\"$MAJOR_NUMBER\" and .t > $RESOLVED_MS"; then
	fail "$MAJOR_NUMBER 办结后仍收到告警通知 / notified again after closing"
fi

# ---------------------------------------------------------------- report

echo
echo "端到端告警测试通过 / e2e alert test passed（用时 $(($(date +%s) - T0)) 秒）"
echo "  Ⅱ级帖子在网站发布 → webhook 收到告警 / post published → firing webhook:  $(ms $((FIRED_MS - RELEASE_MS))) s（含等待下一次抓取，抓取间隔 1m）"
echo "  其中首次被抓取 → webhook 收到告警 / first fetched → firing webhook:       $(ms $((FIRED_MS - SERVED_MS))) s"
echo "  办结 → 恢复通知 / close → resolved webhook:                              $(ms $((RESOLVED_MS - CLOSED_MS))) s"
echo "  Ⅳ级跟进期限 → 超时告警 / follow-up deadline → overdue webhook:          $(ms $((OVERDUE_MS - ${DUE%.*} * 1000))) s"
echo "  宣传科企业微信群机器人收到 / WeCom robot messages:                        $(grep -c . "$ROBOT_FILE") 条"
echo "E2E_LATENCY_MS published_to_firing=$((FIRED_MS - RELEASE_MS)) fetched_to_firing=$((FIRED_MS - SERVED_MS)) close_to_resolved=$((RESOLVED_MS - CLOSED_MS)) deadline_to_overdue=$((OVERDUE_MS - ${DUE%.*} * 1000)) total_s=$(($(date +%s) - T0))"

fi

# ---------------------------------------------------------------- 4. failover

# Two daemons on one PostgreSQL schema (a schema of this run's own, dropped at
# the end), both scraped by a fresh Prometheus with the project's rules, a
# fresh Alertmanager and webhook. The Ⅱ incident's alert fires; the leader
# (the instance exporting the incident series) is killed with SIGKILL; the
# other must lead within the lease TTL and the alert must neither resolve
# nor be notified twice (one alert per notification, the same alert in
# Alertmanager, its Prometheus "for" state unchanged).
log "换主测试：两个 yuqing 守护进程共用一个 PostgreSQL schema / failover case"
MAJOR='.status=="firing" and .labels.alertname=="YuqingMajorIncident" and .labels.level=="2"'
if ! command -v psql >/dev/null 2>&1; then
	log "安装 postgresql-client（psql）"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-client ||
		{ as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-client; }
fi
if ! psql "$PG_BASE" -qAtc 'SELECT 1' >"$TMP/logs/psql.log" 2>&1; then
	[ "${YUQING_REQUIRE_POSTGRES:-0}" != 1 ] ||
		fail "PostgreSQL 不可用（YUQING_REQUIRE_POSTGRES=1，$PG_BASE）：$(cat "$TMP/logs/psql.log")"
	log "跳过换主测试：PostgreSQL 不可用（$PG_BASE；设置 YUQING_TEST_POSTGRES 指向可用的数据库，CI 中必须运行）"
	exit 0
fi
for name in prom am yuqing; do
	stop "$name"
done
FO_SCHEMA="yuqing_e2e_$$_$RANDOM"
psql "$PG_BASE" -qc "CREATE SCHEMA $FO_SCHEMA" >"$TMP/logs/psql.log" 2>&1 ||
	fail "创建 schema $FO_SCHEMA 失败：$(cat "$TMP/logs/psql.log")"
case $PG_BASE in
*\?*) FO_DSN="$PG_BASE&search_path=$FO_SCHEMA" ;;
*) FO_DSN="$PG_BASE?search_path=$FO_SCHEMA" ;;
esac
# Short heartbeat and lease TTL: the other instance must lead within TTL
# after SIGKILL (the server frees the dead session's lock at once). With
# E2E_FAILOVER_SIGNAL=STOP the leader hangs instead: the server ends its
# idle session after the TTL, and the other leads a heartbeat later; its
# incident series are missing from Prometheus meanwhile (the rules bridge
# that gap).
HEARTBEAT=1s
TTL_S=5
SIGNAL=${E2E_FAILOVER_SIGNAL:-KILL}
case $SIGNAL in
KILL) LEAD_LIMIT_MS=$((TTL_S * 1000)) ;;
STOP) LEAD_LIMIT_MS=$((TTL_S * 1000 + 2000)) ;;
*) fail "E2E_FAILOVER_SIGNAL 只能是 KILL 或 STOP，实际为 $SIGNAL" ;;
esac
mkdir -p "$TMP/fo/configs" "$TMP/fo/feed"
start feed-fo "$TMP/bin/feed" -listen 127.0.0.1:0 -state "$TMP/fo/feed"
wait_for 10 "换主测试的 RSS 测试源启动" test -s "$TMP/fo/feed/addr"
FEED="http://$(cat "$TMP/fo/feed/addr")"
curl -fsS -X POST -o /dev/null "$FEED/-/release" || fail "发布Ⅱ级帖子失败 / feed release failed"
FO_A_PORT=$(free_port)
FO_B_PORT=$(free_port)
# Both instances link alerts to the load balancer's address (nobody listens
# there in the test): with external_url left to each instance's own address
# the link label, hence the alert, would change with the leader.
FO_LB="http://127.0.0.1:$(free_port)"
FO_CFG="$TMP/fo/configs/yuqing.yaml"
sed -e 's|^  driver: sqlite$|  driver: postgres|' \
	-e "s|^external_url: .*|external_url: \"$FO_LB\"|" \
	-e "s|^  dsn: .*|  dsn: \"${FO_DSN//&/\\&}\"|" \
	-e "s|^  heartbeat: .*|  heartbeat: $HEARTBEAT|" \
	-e "s|^  lease_ttl: .*|  lease_ttl: ${TTL_S}s|" "$CFG" >"$FO_CFG"
sed "s|url: .*/rss.xml|url: $FEED/rss.xml|" "$TMP/yuqing/configs/sources.yaml" >"$TMP/fo/configs/sources.yaml"
for want in "driver: postgres" "external_url: \"$FO_LB\"" "dsn: \"$FO_DSN\"" "heartbeat: $HEARTBEAT" "lease_ttl: ${TTL_S}s"; do
	grep -qF "$want" "$FO_CFG" || fail "无法生成换主测试配置（缺少“$want”）"
done
"$TMP/bin/yuqing" check -config "$FO_CFG" >"$TMP/logs/yuqing-check-fo.log" 2>&1 ||
	{ cat "$TMP/logs/yuqing-check-fo.log" >&2; fail "换主测试配置未通过 yuqing check"; }
declare -A FO_PORT=([a]=$FO_A_PORT [b]=$FO_B_PORT)
for i in a b; do
	start "yuqing-$i" "$TMP/bin/yuqing" run -config "$FO_CFG" -listen "127.0.0.1:${FO_PORT[$i]}"
	alive "yuqing-$i"
done
for i in a b; do
	wait_for 60 "yuqing-$i /metrics" curl -fsS -H "$METRICS_AUTH" "http://127.0.0.1:${FO_PORT[$i]}/metrics"
done
# leader prints a or b: the instance whose yuqing_leader is 1.
leader() {
	local i m
	for i in "$@"; do
		m=$(curl -fsS -m 2 -H "$METRICS_AUTH" "http://127.0.0.1:${FO_PORT[$i]}/metrics" 2>/dev/null) || continue
		grep -qx 'yuqing_leader 1' <<<"$m" && { echo "$i"; return 0; }
	done
	return 1
}
wait_for 30 "两个实例中有一个成为主实例" leader a b
OLD=$(leader a b)
NEW=$([ "$OLD" = a ] && echo b || echo a)
log "主实例 yuqing-$OLD（127.0.0.1:${FO_PORT[$OLD]}），另一实例 yuqing-$NEW"

HOOK_FILE="$TMP/hook-fo.jsonl"
: >"$HOOK_FILE"
start webhook-fo "$TMP/bin/webhook" -listen 127.0.0.1:0 -out "$HOOK_FILE" -addr-file "$TMP/hook-fo.addr"
wait_for 10 "换主测试的 webhook 接收端启动" test -s "$TMP/hook-fo.addr"
HOOK="http://$(cat "$TMP/hook-fo.addr")"
AM_PORT=$(free_port)
PROM_PORT=$(free_port)
AM="http://127.0.0.1:$AM_PORT"
PROM="http://127.0.0.1:$PROM_PORT"
# The 企业微信 forwarder on the instance that stays.
start_alertmanager am-fo "http://127.0.0.1:${FO_PORT[$NEW]}"
start_prometheus prom-fo "127.0.0.1:$FO_A_PORT" "127.0.0.1:$FO_B_PORT"

log "等待Ⅱ级事件告警（最长 2 分钟）"
wait_for 120 "换主测试：收到 YuqingMajorIncident 告警" delivered "$MAJOR"
NUMBER=$(alerts | jq -rs "map(select($MAJOR)) | sort_by(.t) | .[0].labels.number")
ALERT_SEL="alertname=\"YuqingMajorIncident\",number=\"$NUMBER\""
wait_for 30 "$NUMBER 的告警在 Prometheus 中处于 firing" prom_query "ALERTS{$ALERT_SEL,alertstate=\"firing\"}"
ACTIVE_AT=$(prom_query "ALERTS_FOR_STATE{$ALERT_SEL}" | jq -r '.value[1]')
prom_query "yuqing_incident_info{number=\"$NUMBER\",instance=\"127.0.0.1:${FO_PORT[$OLD]}\"}" >/dev/null ||
	fail "$NUMBER 的事件序列应由主实例 yuqing-$OLD 导出"
! prom_query "yuqing_incident_info{instance=\"127.0.0.1:${FO_PORT[$NEW]}\"}" >/dev/null ||
	fail "非主实例 yuqing-$NEW 也导出了事件序列"
log "$NUMBER 的告警已送达，由主实例 yuqing-$OLD 导出；SIG$SIGNAL yuqing-$OLD"

kill "-$SIGNAL" "${PID_OF[yuqing-$OLD]}"
KILL_MS=$(date +%s%3N)
[ "$SIGNAL" = STOP ] || wait "${PID_OF[yuqing-$OLD]}" 2>/dev/null || true # reaped quietly
until leader "$NEW" >/dev/null; do
	[ $(($(date +%s%3N) - KILL_MS)) -le "$LEAD_LIMIT_MS" ] ||
		fail "主实例 SIG$SIGNAL 后 $((LEAD_LIMIT_MS / 1000))s 内 yuqing-$NEW 没有成为主实例"
	sleep 0.1
done
LEAD_MS=$(date +%s%3N)
# `yuqing status` names the new leader (its instance id on the line of its process).
status_leads() {
	"$TMP/bin/yuqing" status -config "$FO_CFG" >"$TMP/status.txt" 2>&1 || return 1
	local id
	id=$(grep -F "进程 ${PID_OF[yuqing-$NEW]} " "$TMP/status.txt" | awk '{print $1}')
	[ -n "$id" ] && grep -q "^主实例：$id（" "$TMP/status.txt"
}
wait_for $((LEAD_LIMIT_MS / 1000)) "yuqing status 显示 yuqing-$NEW 为主实例" status_leads
STATUS_MS=$(date +%s%3N)
log "yuqing-$NEW 已成为主实例（SIG$SIGNAL 后 $((LEAD_MS - KILL_MS)) ms；yuqing status 中 $((STATUS_MS - KILL_MS)) ms）"
sed 's/^/    /' "$TMP/status.txt"
wait_for 30 "Prometheus 从新主实例抓到 $NUMBER 的事件序列" \
	prom_query "yuqing_incident_info{number=\"$NUMBER\",instance=\"127.0.0.1:${FO_PORT[$NEW]}\"}"
SERIES_MS=$(date +%s%3N)
wait_for 30 "Prometheus 发现 yuqing-$OLD 不再应答（up == 0）" prom_query "up{instance=\"127.0.0.1:${FO_PORT[$OLD]}\"} == 0"
# Past several group intervals and repeats: Alertmanager has had every
# chance to send a resolved or a second firing notification.
sleep 25
END_MS=$(date +%s%3N)

# Prometheus: the alert fired throughout (every 2s evaluation since a bit
# before the kill), one alert, its "for" state (activeAt) unchanged.
WINDOW=$(((END_MS - KILL_MS) / 1000 + 6))
MIN=$(prom_query "min_over_time(count(ALERTS{$ALERT_SEL,alertstate=\"firing\"})[${WINDOW}s:1s])" | jq -r '.value[1]')
MAX=$(prom_query "max_over_time(count(ALERTS{$ALERT_SEL})[${WINDOW}s:1s])" | jq -r '.value[1]')
[ "$MIN" = 1 ] && [ "$MAX" = 1 ] ||
	fail "换主期间 Prometheus 中 $NUMBER 的告警不是始终恰好一条在触发（最少 ${MIN:-0} 条，最多 ${MAX:-0} 条）"
AFTER_AT=$(prom_query "ALERTS_FOR_STATE{$ALERT_SEL}" | jq -r '.value[1]')
[ "$AFTER_AT" = "$ACTIVE_AT" ] || fail "换主后 $NUMBER 告警的开始时刻变了（$ACTIVE_AT → $AFTER_AT）：告警重新触发"
# Alertmanager: one alert for the incident, firing.
curl -fsS "$AM/api/v2/alerts?filter=alertname%3D%22YuqingMajorIncident%22&filter=number%3D%22$NUMBER%22" >"$TMP/am-alerts.json"
jq -e 'length == 1 and .[0].status.state == "active"' "$TMP/am-alerts.json" >/dev/null ||
	fail "Alertmanager 中 $NUMBER 的告警不是恰好一条、处于 active：$(jq -c '[.[] | {labels, state: .status.state}]' "$TMP/am-alerts.json")"
# Webhook: never resolved, one alert in every notification of the incident.
if delivered ".status==\"resolved\" and .labels.number==\"$NUMBER\""; then
	fail "换主期间 $NUMBER 的告警被通知为已恢复 / resolved during the failover"
fi
MOST=$(jq -s --arg n "$NUMBER" 'map(select(.payload.groupLabels.number == $n) |
	[.payload.alerts[] | select(.labels.alertname == "YuqingMajorIncident")] | length) | max // 0' "$HOOK_FILE")
[ "$MOST" = 1 ] || fail "$NUMBER 的一次通知中有 $MOST 条立案告警（换主后重复）"
AFTER=$(alerts | jq -c "select($MAJOR and .labels.number==\"$NUMBER\" and .receiver==\"yuqing-duty\" and .t > $KILL_MS)" | wc -l)
BEFORE=$(alerts | jq -c "select($MAJOR and .labels.number==\"$NUMBER\" and .receiver==\"yuqing-duty\" and .t <= $KILL_MS)" | wc -l)
echo
echo "换主测试通过 / failover case passed（主实例 SIG$SIGNAL；心跳 $HEARTBEAT，租约时长 ${TTL_S}s，抓取、评估间隔 2s）"
echo "  SIG$SIGNAL 主实例 → 另一实例 yuqing_leader=1 / kill → new leader (metric):        $(ms $((LEAD_MS - KILL_MS))) s"
echo "  SIG$SIGNAL 主实例 → yuqing status 显示新主实例 / kill → new leader (status):      $(ms $((STATUS_MS - KILL_MS))) s"
echo "  SIG$SIGNAL 主实例 → Prometheus 抓到新主实例的事件序列 / kill → series from new leader: $(ms $((SERIES_MS - KILL_MS))) s"
echo "  $NUMBER：换主前后 $(ms $((END_MS - KILL_MS))) s 内告警始终触发、恰好一条，开始时刻不变；没有“已恢复”通知；"
echo "    值班接收方收到的触发通知：换主前 $BEFORE 次，换主后 $AFTER 次（repeat_interval $REPEAT 的重复通知），每次一条告警"
echo "E2E_FAILOVER_MS signal=$SIGNAL kill_to_leader=$((LEAD_MS - KILL_MS)) kill_to_status=$((STATUS_MS - KILL_MS)) kill_to_series=$((SERIES_MS - KILL_MS)) observed=$((END_MS - KILL_MS))"
