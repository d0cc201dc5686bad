#!/usr/bin/env bash
# The default model's training runs, made for one short lease of a GPU machine (no PyAV there).
# Trains the `fast` generator once per RUN side by side (they share the GPU and the CPU cores that load
# data) from the photos packed by scripts/pack_training_images.py into .carry/train, then packs each
# run's export, logs and validation tables into $OUT.
#   bash scripts/gpu_train.sh MINUTES [RUN ...]     RUN = NAME or "NAME:KEY=VALUE KEY=VALUE ..."
#   e.g. bash scripts/gpu_train.sh 3 plain "temporal:loss.temporal=1.0"   (the default RUNs)
#   DEVICE=cpu WORKERS=1 DATA=... bash scripts/gpu_train.sh 0.2 plain    (a local dry run)
# A deeper model from the shipped one, next to a plain continuation (grow needs no files carried):
#   python3 -m videocolor.train grow models/fast.v4.safetensors --generator fast34 -o /tmp/init34.safetensors
#   S='pretrain_gen.lr=7e-4 loss.saturation=0.2 loss.colourfulness=0 run.budget_share=[0.85,0.05,0.10]'
#   bash scripts/gpu_train.sh 9 "deep:model.generator=\"fast34\" model.init=\"/tmp/init34.safetensors\" $S" \
#       "cont:model.init=\"models/fast.v4.safetensors\" $S"
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
# runs sharing the GPU: without this, cached-but-free blocks of one run starved the other (OOM)
export PYTORCH_CUDA_ALLOC_CONF=${PYTORCH_CUDA_ALLOC_CONF:-expandable_segments:True}
MIN=${1:-3}; shift || true
[ $# -gt 0 ] || set -- plain "temporal:loss.temporal=1.0"
OUT=${OUT:-/tmp/vc_out}; mkdir -p "$OUT"
DEVICE=${DEVICE:-cuda}
WORKERS=${WORKERS:-$(( ($(nproc) - 2) / $# ))}
nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null
names=()
for spec in "$@"; do
    name=${spec%%:*}; names+=("$name")
    sets=(--set "data.workers=$WORKERS")
    if [[ $spec == *:* ]]; then
        for kv in ${spec#*:}; do sets+=(--set "$kv"); done
    fi
    (python3 -m videocolor.train run --preset train-nogan --data "${DATA:-.carry/train}" --out "/tmp/vc_$name" \
        --device "$DEVICE" --max-minutes "$MIN" "${sets[@]}" >"$OUT/$name.log" 2>&1
     echo "$name exit $?" >>"$OUT/$name.log") &
done
wait
rm -rf /tmp/pack
for name in "${names[@]}"; do
    tail -n 3 "$OUT/$name.log"
    mkdir -p "/tmp/pack/$name"
    cp /tmp/vc_$name/model.safetensors /tmp/vc_$name/*.jsonl /tmp/vc_$name/*.csv /tmp/vc_$name/*.png \
        "/tmp/pack/$name/" 2>/dev/null
done
tar -C /tmp/pack -cf - . | split -b 15000000 - "$OUT/results.tar.part"
ls -la "$OUT"
