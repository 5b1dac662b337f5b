#!/usr/bin/env bash
# 检查 configs/alertmanager/：配置语法（amtool check-config）、路由（amtool config routes test）
# 和中文通知模板（amtool template render，样例数据在 configs/alertmanager/testdata/）。
# 通知只能有中文（scripts/check-notification-text.sh：不能有告警规则名、英文时长、数据源名称、
# 规则编号等英文，允许事件编号、网址、数字）：检查每个样例渲染出的通知，以及
# configs/prometheus/yuqing.rules.test.yml 中 Prometheus 实际生成的注释（exp_annotations 须逐字
# 一致）。每条告警的中文名称 title_zh 须是 docs/runbook.md 中该告警一节的中文标题（通知里的
# “处置指引”按它查找）。
# 工作时间（Ⅲ/Ⅳ级只在工作时间通知）：配置中的 time_intervals 须与工作日历 configs/calendar.yaml
# 一致（yuqing calendar alertmanager -check，重新生成后比较）；amtool 的路由测试不考虑时间，
# 各时刻是否通知由 Go 测试 calendar/routes_test.go 用 Alertmanager 0.25 的代码检查。
# 任何一项不符合预期即以非零状态退出。需要 amtool（scripts/install-prom-tools.sh 安装）和 Go。
# Checks configs/alertmanager/: syntax, routing assertions, template rendering,
# Chinese-only notification text, and each alert's title_zh against its runbook section.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=configs/alertmanager
CFG=$DIR/alertmanager.yml
RULES=configs/prometheus/yuqing.rules.yml
RULES_TEST=configs/prometheus/yuqing.rules.test.yml
RUNBOOK=docs/runbook.md
failed=0

fail() {
	echo "失败 / FAIL: $*" >&2
	failed=1
}

command -v amtool >/dev/null 2>&1 || { echo "错误：找不到 amtool，请先运行 scripts/install-prom-tools.sh" >&2; exit 1; }

echo "== amtool check-config $CFG"
amtool check-config "$CFG"

echo "== 工作时间 / time intervals (configs/calendar.yaml)"
if ! go run ./cmd/yuqing calendar alertmanager -calendar configs/calendar.yaml -config "$CFG" -check; then
	fail "$CFG 中的工作时间不是按 configs/calendar.yaml 生成的，请运行 yuqing calendar alertmanager -write"
fi

# expect_route DESCRIPTION RECEIVERS LABEL=VALUE...: the alert with these labels
# must reach exactly RECEIVERS (comma-separated, in routing order).
expect_route() {
	local what=$1 want=$2
	shift 2
	local got
	got=$(amtool config routes test --config.file="$CFG" "$@" 2>/dev/null | tail -n 1)
	if [ "$got" = "$want" ]; then
		echo "通过 / ok: $what -> $got"
	else
		fail "$what：应送达 $want，实际为 ${got:-（无输出）}"
	fi
}

echo "== 路由 / routes"
expect_route "Ⅱ级立案告警（宣传科、信访科、值班）" yuqing-xuanchuan,yuqing-xinfang,yuqing-duty \
	alertname=YuqingMajorIncident team=duty severity=critical level=2 number=YQ-20261123-0001
expect_route "Ⅰ级签收超时" yuqing-xuanchuan,yuqing-xinfang,yuqing-duty \
	alertname=YuqingAckOverdue team=duty severity=critical level=1 number=YQ-20261123-0002
expect_route "Ⅱ级跟进超时" yuqing-xuanchuan,yuqing-xinfang,yuqing-duty \
	alertname=YuqingFollowUpOverdue team=duty severity=critical level=2 number=YQ-20261123-0003
expect_route "Ⅱ级调查核实超时" yuqing-xuanchuan,yuqing-xinfang,yuqing-duty \
	alertname=YuqingStageOverdue team=duty severity=warning level=2 stage=investigate number=YQ-20261123-0006
expect_route "Ⅲ级答复反馈超时（值班）" yuqing-duty \
	alertname=YuqingStageOverdue team=duty severity=warning level=3 stage=feedback number=YQ-20261123-0008
expect_route "Ⅳ级跟进超时（值班）" yuqing-duty \
	alertname=YuqingFollowUpOverdue team=duty severity=warning level=4 number=YQ-20261123-0004
expect_route "Ⅲ级跟进期限将至（值班）" yuqing-duty \
	alertname=YuqingFollowUpDueSoon team=duty severity=info level=3 number=YQ-20261123-0005
expect_route "守护进程不可用（运维）" yuqing-ops \
	alertname=YuqingDown team=ops severity=critical instance=127.0.0.1:8080
expect_route "数据源连续失败（运维）" yuqing-ops \
	alertname=YuqingSourceDown team=ops severity=warning source=lanchuan-bbs
expect_route "无 team 标签的告警（运维）" yuqing-ops \
	alertname=Unexpected severity=warning

# expect_render NAME DATA TEMPLATE [+WANT | -UNWANTED]...: render TEMPLATE with
# DATA and require (+) or forbid (-) each literal string.
expect_render() {
	local name=$1 data=$2 tmpl=$3
	shift 3
	local out
	if ! out=$(amtool template render --template.glob="$DIR/templates/*.tmpl" \
		--template.text="{{ template \"$tmpl\" . }}" --template.data="$data" 2>&1); then
		fail "$name：模板渲染出错：$out"
		return
	fi
	local ok=1 s
	if ! bash scripts/check-notification-text.sh -n "模板 $name 的通知" <<<"$out"; then
		fail "$name：通知中有英文或内部标识"
		ok=0
	fi
	for s in "$@"; do
		case $s in
		+*) grep -qF -- "${s#+}" <<<"$out" || { fail "$name：缺少“${s#+}”"; ok=0; } ;;
		-*) grep -qF -- "${s#-}" <<<"$out" && { fail "$name：不应出现“${s#-}”"; ok=0; } ;;
		esac
	done
	if [ $ok -eq 1 ]; then
		echo "通过 / ok: 模板 $name"
	else
		echo "---- $name 的渲染结果 / rendered:" >&2
		echo "$out" >&2
	fi
}

echo "== 模板 / templates"
expect_render "Ⅱ级事件邮件标题" $DIR/testdata/incident-firing.json yuqing.subject \
	"+【舆情告警】YQ-20261123-0001 Ⅱ级重大 全市医保都刷不了了 联系人138****5678"
expect_render "Ⅱ级事件正文（立案、签收超时两条）" $DIR/testdata/incident-firing.json yuqing.text \
	"+正在告警 2 条" "+● 告警：Ⅰ级（特别重大）/Ⅱ级（重大）舆情事件" "+● 告警：签收超时" \
	"+事件编号：YQ-20261123-0001" "+等级：Ⅱ级 重大" "+类别：信息系统" \
	"+标题：全市医保都刷不了了 联系人138****5678" "+来源：岚川论坛·民生杂谈" \
	"+摘要：市一院所有收费窗口都刷不了医保" "+签收期限：2026-11-23 15:04（北京时间）" \
	"+签收期限：2026-11-23 15:04（北京时间），已超时 2天3小时" \
	"+链接：http://127.0.0.1:8080/incidents/YQ-20261123-0001" \
	"+紧急程度：紧急，开始于 2026-11-23 14:04:00（北京时间）" \
	"+处置指引：《告警处置手册》“Ⅰ级（特别重大）/Ⅱ级（重大）舆情事件”一节" \
	"+处置指引：《告警处置手册》“签收超时”一节" \
	"-YuqingMajorIncident" "-critical" "-<no value>" "-处置手册网页" "-yuqing.example"
expect_render "Ⅳ级跟进超时（无摘要标签）" $DIR/testdata/incident-overdue.json yuqing.wechat \
	"+【舆情告警】YQ-20261123-0007 Ⅳ级一般" "+● 告警：跟进回复超时" "+等级：Ⅳ级 一般" "+类别：就医购药" \
	"+跟进期限：2026-11-24 14:04（北京时间），已超时 3分钟" "+紧急程度：重要" \
	"+链接：http://127.0.0.1:8080/incidents/YQ-20261123-0007" "-摘要：" "-<no value>"
expect_render "运维告警恢复" $DIR/testdata/ops-resolved.json yuqing.wechat \
	"+【已恢复】数据源“岚川论坛·民生杂谈”连续抓取失败" "+已恢复 1 条" "+○ 已恢复：数据源连续抓取失败" \
	"+已连续失败 5 次" "+恢复于 2026-11-23 14:30:00（北京时间）" \
	"+处置指引：《告警处置手册》“数据源连续抓取失败”一节" \
	"-事件编号" "-<no value>" "-lanchuan-bbs"
expect_render "运维告警（手册已发布到本单位地址）" $DIR/testdata/ops-firing.json yuqing.wechat \
	"+【系统告警】数据源“岚川论坛·民生杂谈”已 6小时20分 没有新帖" "+● 告警：数据源远超平常没有新帖" \
	"+（平常约每 1小时0分 就有新帖）" "+紧急程度：重要" \
	"+处置指引：《告警处置手册》“数据源远超平常没有新帖”一节" \
	"+处置手册网页：http://10.20.1.5/yuqing/runbook.html#yuqingsourcesilent"
expect_render "不是本项目规则发出的告警" $DIR/testdata/other-firing.json yuqing.wechat \
	"+【系统告警】其他告警" "+● 告警：其他告警" "+该告警没有中文说明" "+紧急程度：重要" \
	"-NodeFilesystemAlmostFull" "-处置指引"

# Every sample, as WeCom shows it (subject and body), holds Chinese only.
for data in "$DIR"/testdata/*.json; do
	expect_render "样例 $(basename "$data")" "$data" yuqing.wechat
done

echo "== Prometheus 注释 / rule annotations ($RULES_TEST)"
# The test file's exp_annotations are what Prometheus renders, word for word:
# print their values (key names dropped) and check them like a notification.
# runbook_url is for operators (the template shows it only once they set a
# real address) and is left out.
annotations=$(awk '
	/^ *exp_annotations:/ { match($0, /^ */); ind = RLENGTH; inside = 1; next }
	inside {
		match($0, /^ */)
		if ($0 !~ /^ *$/ && RLENGTH <= ind) { inside = 0; next }
		if ($0 ~ /^ *runbook_url:/) next
		line = $0
		sub(/^ *[a-z_]+: (\|-)?/, "", line)
		sub(/^ +/, "", line)
		print line
	}' "$RULES_TEST")
if [ "$(grep -c . <<<"$annotations")" -lt 100 ]; then
	fail "$RULES_TEST 中找不到 exp_annotations（文件格式变了？）"
elif bash scripts/check-notification-text.sh -n "$RULES_TEST 的 exp_annotations" <<<"$annotations"; then
	echo "通过 / ok: 规则测试中的注释只有中文（$(grep -c . <<<"$annotations") 行）"
else
	fail "规则注释中有英文或内部标识"
fi

echo "== 中文名称与处置手册 / title_zh and $RUNBOOK"
# alert<TAB>title_zh for each rule (a rule sharing another's annotations
# through a YAML alias has no title_zh line: the first one counts).
titles=$(awk '
	/^ *- alert: / { alert = $3; next }
	/^ *title_zh: / && alert != "" { t = $0; sub(/^ *title_zh: */, "", t); print alert "\t" t; alert = "" }' "$RULES")
for alert in $(grep -o '^ *- alert: [A-Za-z]*' "$RULES" | awk '{print $3}' | sort -u); do
	title=$(awk -F'\t' -v a="$alert" '$1 == a { print $2; exit }' <<<"$titles")
	if [ -z "$title" ]; then
		fail "$alert 没有注释 title_zh（通知中的告警名称）"
		continue
	fi
	# The section "## Alert" opens with the bold Chinese title.
	heading=$(awk -v a="## $alert" 'found && NF { print; exit } tolower($0) == tolower(a) { found = 1 }' "$RUNBOOK")
	case $heading in
	"**$title**"*) echo "通过 / ok: $alert -> “$title”" ;;
	*) fail "$alert 的 title_zh“$title”与 $RUNBOOK 中该节的中文标题不一致：${heading:-（没有“## $alert”一节）}" ;;
	esac
done

if [ $failed -ne 0 ]; then
	echo "Alertmanager 配置检查未通过 / alertmanager checks failed" >&2
	exit 1
fi
echo "Alertmanager 配置检查通过 / alertmanager checks passed"
