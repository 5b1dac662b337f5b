#!/bin/sh
# 安装无头浏览器测试所需的 Debian chromium 软件包（/usr/bin/chromium）
# 和中文字体（截图中文不乱码）。可重复执行：已安装时什么也不做。
set -eu

if command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; then
	echo "chromium 与中文字体已安装，跳过：$(command -v chromium)"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "错误：需要 root 权限（或 sudo）才能安装软件包" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
echo "已安装：$(chromium --version 2>/dev/null || echo chromium)"
