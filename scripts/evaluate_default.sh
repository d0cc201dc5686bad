#!/usr/bin/env bash
# Score a model on the evaluation sets of ../shared (never used in training), as the model card reports:
# the 16 clips' gray twins colorized with smoothing flow and none, the 168 eval photos, and DAVIS
# (flow and none). clips_more/ is not scored here.
#   bash scripts/evaluate_default.sh [OUTDIR] [extra colorize args, e.g. --weights W.safetensors]
set -euo pipefail
OUT=${1:-runs/eval}; shift || true
S=${SHARED:-../shared/data}
mkdir -p "$OUT"/{gray,flow,none,photos,davis}
for f in "$S"/clips/*; do
    n=$(basename "${f%.*}")
    videocolor evaluate --gray-out "$OUT/gray/$n.mkv" "$f" --overwrite >/dev/null
    for mode in flow none; do
        videocolor colorize "$OUT/gray/$n.mkv" -o "$OUT/$mode/$n.mkv" --smoothing "$mode" --overwrite --quiet "$@"
    done
done
mkdir -p "$OUT/truth_clips"
for f in "$S"/clips/*; do ln -sf "$(realpath "$f")" "$OUT/truth_clips/"; done
for mode in flow none; do
    videocolor evaluate "$OUT/$mode" "$OUT/truth_clips" --json --no-per-frame >"$OUT/clips_$mode.json"
done
videocolor colorize "$S/eval_images" -o "$OUT/photos" --overwrite --quiet "$@"
for sub in "$S"/eval_images/*/; do
    t=$(basename "$sub")
    videocolor evaluate --photos "$OUT/photos/$t" "$sub" --json --no-per-frame >"$OUT/photos_$t.json"
done
for seq in "$S"/davis/*/; do
    d=$(basename "$seq")
    python scripts/frames_to_video.py "$seq" -o "$OUT/davis/$d.mkv" >/dev/null
    videocolor evaluate --gray-out "$OUT/davis/${d}_gray.mkv" "$OUT/davis/$d.mkv" --overwrite >/dev/null
    for mode in flow none; do
        videocolor colorize "$OUT/davis/${d}_gray.mkv" -o "$OUT/davis/${d}_$mode.mkv" --smoothing "$mode" \
            --overwrite --quiet "$@"
    done
    videocolor evaluate "$OUT/davis/${d}_flow.mkv" "$seq" --json --no-per-frame >"$OUT/davis_$d.json"
    videocolor evaluate "$OUT/davis/${d}_none.mkv" "$seq" --json --no-per-frame >"$OUT/davisnone_$d.json"
done
echo "done: $OUT"
