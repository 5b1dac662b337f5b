#!/bin/sh
# 用 apt-get 安装给出的 Debian 软件包（不装推荐包），非 root 时经 sudo。
# 供 install-chromium.sh、install-report-tools.sh 调用：scripts/apt-install.sh 包名...
set -eu

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "错误：需要 root 权限（或 sudo）才能安装软件包：$*" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
