#!/bin/sh
# 安装生成和检查 Word、Excel 报告所需的 Debian 软件包：
#   fonts-noto-cjk            报告图表图片中的中文字体（yuqing 默认在 /usr/share/fonts/opentype/noto/ 查找；
#                             也可在 yuqing.yaml 的 report_font 中指定其他字体文件）
#   libreoffice-writer-nogui  soffice --headless --convert-to pdf：测试把 docx 报告转为 PDF（无图形界面的最小组合，约 250 MB）
#   libreoffice-calc-nogui    soffice --headless --convert-to csv：测试用 LibreOffice 打开 xlsx 报告、读出各工作表
#   poppler-utils             pdftotext、pdfimages：测试检查 PDF 中的中文文字和每一张图表
# 运行守护进程只需要 fonts-noto-cjk；其余只用于测试（CI 以 YUQING_REQUIRE_REPORT_TOOLS=1 运行）。
# 可重复执行：都已安装时什么也不做。
set -eu

FONT=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
# LibreOffice 的 Calc 组件（Debian 的安装位置）。
CALC=/usr/lib/libreoffice/program/libsclo.so
if [ -f "$FONT" ] && [ -f "$CALC" ] && command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 && command -v pdfimages >/dev/null 2>&1; then
	echo "报告工具已安装，跳过：$FONT $(command -v soffice) $(command -v pdftotext) $(command -v pdfimages)"
	exit 0
fi

sh "$(dirname "$0")/apt-install.sh" fonts-noto-cjk libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils
echo "已安装：$(soffice --version 2>/dev/null || echo soffice)；$(pdftotext -v 2>&1 | head -n 1)；$FONT"
