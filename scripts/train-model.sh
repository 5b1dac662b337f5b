#!/usr/bin/env bash
# 重新训练内置学习模型 configs/model/yuqing.model.gz（configs/rules.yaml 的 options.model 指向它）。
# 在仓库根目录旁须有共享标注数据 ../shared/data；另用仓库内按标注指南编写的训练语料
# configs/model/corpus/（见其中 README.md）。修改 configs/rules.yaml 的规则、词组或
# configs/dict/ 后，必须运行本脚本并把新的模型文件一同提交：模型的特征来自规则命中和分词。
# 训练是确定性的：相同的规则、词典和数据得到逐字节相同的文件（文件里记有训练命令和数据的 SHA-256）。
#
# 用法：scripts/train-model.sh          重新训练，写入 configs/model/yuqing.model.gz
#       scripts/train-model.sh -check   在临时目录用同一命令重新训练，与仓库中的文件逐字节比对（CI 使用）
#
# Retrains the shipped model with the exact command its file records; -check
# retrains in a scratch tree laid out like this one (so the recorded command
# line is identical) and fails unless the bytes equal the shipped file.
set -euo pipefail
cd "$(dirname "$0")/.."

train() { # the exact command, run in the current directory with the binary $1
	"$1" train -rules configs/rules.yaml \
		-data ../shared/data/real_messages_dev.jsonl \
		-data ../shared/data/forum_posts_dev.jsonl \
		-data ../shared/data/social_posts_dev.jsonl \
		-data configs/model/corpus/gov.jsonl \
		-data configs/model/corpus/social.jsonl \
		-data configs/model/corpus/forum.jsonl \
		-out configs/model/yuqing.model.gz
}

[ -d ../shared/data ] || { echo "错误：找不到 ../shared/data（共享标注数据应在仓库旁边）" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/yuqing" ./cmd/yuqing

if [ "${1:-}" != "-check" ]; then
	train "$tmp/yuqing"
	exit 0
fi

mkdir -p "$tmp/tree/repo/configs"
cp configs/rules.yaml "$tmp/tree/repo/configs/"
cp -r configs/dict "$tmp/tree/repo/configs/"
mkdir -p "$tmp/tree/repo/configs/model"
cp -r configs/model/corpus "$tmp/tree/repo/configs/model/"
ln -s "$(cd ../shared && pwd)" "$tmp/tree/shared"
(cd "$tmp/tree/repo" && train "$tmp/yuqing" >/dev/null)
if ! cmp -s "$tmp/tree/repo/configs/model/yuqing.model.gz" configs/model/yuqing.model.gz; then
	echo "错误：configs/model/yuqing.model.gz 与用当前规则、词典和标注数据重新训练的结果不一致。" >&2
	echo "请运行 scripts/train-model.sh 重新训练，并把新的模型文件一同提交。" >&2
	exit 1
fi
echo "内置模型与重新训练的结果逐字节一致"
