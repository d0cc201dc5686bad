#!/usr/bin/env bash
# The default model's training run, made for one short lease of a GPU machine (no PyAV there).
# Trains the `fast` generator twice side by side (plain, and with the temporal-stability term) from the
# photos packed by scripts/pack_training_images.py into .carry/train, then packs exports and logs into $OUT.
#   bash scripts/gpu_train.sh MINUTES [extra --set args...]     (DEVICE=cpu for a local dry run)
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
MIN=${1:-3}; shift || true
OUT=${OUT:-/tmp/vc_out}; mkdir -p "$OUT"
DEVICE=${DEVICE:-cuda}
WORKERS=${WORKERS:-7}
nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null
train() {
    local name=$1; shift
    python3 -m videocolor.train run --preset train-nogan --data "${DATA:-.carry/train}" --out "/tmp/vc_$name" \
        --device "$DEVICE" --max-minutes "$MIN" --set "data.workers=$WORKERS" "$@" >"$OUT/$name.log" 2>&1
    echo "$name exit $?" >>"$OUT/$name.log"
}
train plain "$@" &
train temporal --set loss.temporal=1.0 "$@" &
wait
for name in plain temporal; do
    tail -n 3 "$OUT/$name.log"
    mkdir -p "/tmp/pack/$name"
    cp /tmp/vc_$name/model.safetensors /tmp/vc_$name/*.jsonl /tmp/vc_$name/*.csv /tmp/vc_$name/*.png \
        "/tmp/pack/$name/" 2>/dev/null
    ls "/tmp/vc_$name" | head -n 30
done
tar -C /tmp/pack -cf - . | split -b 15000000 - "$OUT/results.tar.part"
ls -la "$OUT"
