#!/usr/bin/env bash
# 检查工作人员读到的告警文字只有中文：找出英文单词（两个及以上连续的 ASCII 字母，如告警规则名
# YuqingMajorIncident、critical、数据源名称 lanchuan-bbs、规则编号 core_title、“<no value>”）和
# 带英文单位的数字（888ms、1.112s、3m，即 humanizeDuration 的写法）。
# 允许：事件编号（YQ-20261207-0001）、网址（http:// 或 https:// 开头，到空白或中文为止）、
# 数字（12345、12393、127.0.0.1:8080）、QQ。网址中不能有占位地址 yuqing.example（打不开的链接）。
#
# 用法：scripts/check-notification-text.sh [-n 名称] [文件...]（没有文件时读标准输入）。
# 有不该出现的词时逐个列出（行号：词：该行）并以状态 1 退出。
# 由 scripts/check-alertmanager.sh（渲染样例通知、规则测试中的注释）和 scripts/e2e-alerts.sh
# （真实收到的通知）调用。
# Fails when notification text holds ASCII words other than incident numbers, URLs and numbers.
set -euo pipefail

name="告警文字"
if [ "${1:-}" = "-n" ]; then
	name=$2
	shift 2
fi

# Byte-wise (LC_ALL=C): a Chinese character is never inside [!-~] or [A-Za-z],
# so a URL ends at the first Chinese character or space after it.
text=$(cat -- "$@")
leaks=$(printf '%s\n' "$text" | LC_ALL=C sed -E \
	-e 's#https?://yuqing\.example[/:]#yuqing.example #g' \
	-e 's#https?://[!-~]+##g' \
	-e 's#[A-Z]{2,}-[0-9]{8}-[0-9]{4}##g' \
	-e 's#QQ##g' |
	LC_ALL=C grep -noE '[A-Za-z]{2,}|[0-9]+(\.[0-9]+)?[A-Za-z]+' || true)
if [ -z "$leaks" ]; then
	exit 0
fi
echo "失败 / FAIL: $name 中有工作人员不该看到的英文或内部标识：" >&2
while IFS=: read -r line word; do
	printf '  第 %s 行“%s”：%s\n' "$line" "$word" "$(sed -n "${line}p" <<<"$text")" >&2
done <<<"$leaks"
exit 1
