#!/usr/bin/env bash
# 检查 configs/alertmanager/：配置语法（amtool check-config）、路由（amtool config routes test）
# 和中文通知模板（amtool template render，样例数据在 configs/alertmanager/testdata/）。
# 任何一项不符合预期即以非零状态退出。需要 amtool（scripts/install-prom-tools.sh 安装）。
# Checks configs/alertmanager/: syntax, routing assertions and template rendering.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=configs/alertmanager
CFG=$DIR/alertmanager.yml
failed=0

fail() {
	echo "失败 / FAIL: $*" >&2
	failed=1
}

command -v amtool >/dev/null 2>&1 || { echo "错误：找不到 amtool，请先运行 scripts/install-prom-tools.sh" >&2; exit 1; }

echo "== amtool check-config $CFG"
amtool check-config "$CFG"

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
expect_render "Ⅱ级事件正文" $DIR/testdata/incident-firing.json yuqing.text \
	"+事件编号：YQ-20261123-0001" "+等级：Ⅱ级 重大" "+类别：信息系统" \
	"+标题：全市医保都刷不了了 联系人138****5678" "+来源：岚川论坛·民生杂谈" \
	"+摘要：市一院所有收费窗口都刷不了医保" "+签收期限：2026-11-23 15:04（北京时间）" \
	"+链接：http://127.0.0.1:8080/incidents/YQ-20261123-0001" \
	"+紧急程度：紧急，开始于 2026-11-23 14:04:00（北京时间）" "-YuqingMajorIncident" "-critical" "-<no value>"
expect_render "Ⅳ级跟进超时（无摘要标签）" $DIR/testdata/incident-overdue.json yuqing.wechat \
	"+【舆情告警】YQ-20261123-0007 Ⅳ级一般" "+等级：Ⅳ级 一般" "+类别：就医购药" \
	"+跟进期限：2026-11-24 14:04（北京时间），已超时 3m 10s" \
	"+链接：http://127.0.0.1:8080/incidents/YQ-20261123-0007" "-摘要：" "-<no value>"
expect_render "运维告警恢复" $DIR/testdata/ops-resolved.json yuqing.text \
	"+已恢复 1 条" "+已连续失败 5 次" "+恢复于 2026-11-23 14:30:00（北京时间）" \
	"-事件编号" "-<no value>" "-Yuqing" "-warning"

if [ $failed -ne 0 ]; then
	echo "Alertmanager 配置检查未通过 / alertmanager checks failed" >&2
	exit 1
fi
echo "Alertmanager 配置检查通过 / alertmanager checks passed"
