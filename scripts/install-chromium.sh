#!/bin/sh
# 安装无头浏览器测试所需的 Debian chromium 软件包（/usr/bin/chromium）
# 和中文字体（截图中文不乱码）。可重复执行：已安装时什么也不做。
set -eu

if command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; then
	echo "chromium 与中文字体已安装，跳过：$(command -v chromium)"
	exit 0
fi

sh "$(dirname "$0")/apt-install.sh" chromium fonts-noto-cjk
echo "已安装：$(chromium --version 2>/dev/null || echo chromium)"
