#!/bin/sh
# 安装 Debian 软件包 prometheus（2.42，含 promtool）与 prometheus-alertmanager（0.25，含 amtool），
# 用于校验和单元测试 configs/prometheus/ 与 configs/alertmanager/ 下的配置，以及
# scripts/e2e-alerts.sh 端到端测试（需要 prometheus 与 prometheus-alertmanager 本身）。
# 可重复执行：四个命令都已在 PATH 中时什么也不做。
# 安装期间用 policy-rc.d（exit 101）阻止软件包自动启动服务，安装后不会有进程占用端口。
set -eu

TOOLS="promtool amtool prometheus prometheus-alertmanager"
missing=""
for tool in $TOOLS; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -z "$missing" ]; then
	echo "prometheus 与 prometheus-alertmanager 已安装，跳过：$(command -v promtool) $(command -v amtool)"
	exit 0
fi
echo "缺少：$missing"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "错误：需要 root 权限（或 sudo）才能安装软件包" >&2
		exit 1
	fi
fi

POLICY=/usr/sbin/policy-rc.d
BACKUP=""
cleanup() {
	if [ -n "$BACKUP" ]; then
		$SUDO mv -f "$BACKUP" "$POLICY"
		echo "已恢复原来的 $POLICY"
	elif [ "${created_policy:-0}" -eq 1 ]; then
		$SUDO rm -f "$POLICY"
		echo "已移除临时的 $POLICY"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Whatever policy-rc.d exists is set aside for the install and put back after,
# so an existing one that allows starts cannot let the services start.
if [ -e "$POLICY" ]; then
	BACKUP="$POLICY.yuqing-backup.$$"
	$SUDO cp -p "$POLICY" "$BACKUP"
fi
echo "写入临时的 $POLICY（exit 101），阻止安装时启动 prometheus / alertmanager 服务"
printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
$SUDO chmod 0755 "$POLICY"
created_policy=1

echo "执行 apt-get update"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
echo "安装 prometheus prometheus-alertmanager（不装推荐包）"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	prometheus prometheus-alertmanager

# Without systemd (containers) nothing starts; with systemd, policy-rc.d only
# covers invoke-rc.d, so make sure the units are not running or enabled.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	for unit in prometheus prometheus-alertmanager; do
		$SUDO systemctl stop "$unit" 2>/dev/null || true
		$SUDO systemctl disable "$unit" 2>/dev/null || true
	done
	echo "已停止并禁用 prometheus / prometheus-alertmanager 服务"
fi

for tool in $TOOLS; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "错误：安装后仍找不到 $tool" >&2
		exit 1
	fi
	"$tool" --version 2>&1 | head -n 1
done
echo "完成：promtool、amtool、prometheus、prometheus-alertmanager 可用"
