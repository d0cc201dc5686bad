#!/usr/bin/env bash
# Choose the smoothing defaults on colour footage that is in no evaluation set: four real clips of
# ../shared/data/odd_media (a bird against the sky, a phone filming a screen, a wooden floor, a gray pie
# chart). Their gray twins are colorized with each strength, with and without the backward pass (window
# 32), and at 0.95 with windows of 16, 64 and 128 frames; per clip: CDC and warping error as multiples of
# the truth's, PSNR gain over gray (inf clips: "-").
#   bash scripts/validate_smoothing.sh [OUTDIR] [extra colorize args, e.g. --weights W.safetensors]
set -euo pipefail
OUT=${1:-runs/smoothing}; shift || true
S=${SHARED:-../shared/data}/odd_media
mkdir -p "$OUT"/{truth,gray,presets}
for f in exoplayer__sample.avi fluentffmpeg__IMG_0034.MOV exoplayer__sample_sef_slow_motion.mp4 \
    mp4ff__multitrack_main_1_cea608.mp4; do
    ln -sf "$(realpath "$S/$f")" "$OUT/truth/"
    videocolor evaluate --gray-out "$OUT/gray/${f%.*}.mkv" "$S/$f" --overwrite >/dev/null
done
variants=(none)
printf '[smoothing]\nmode = "none"\n' >"$OUT/presets/none.toml"
for s in 0.8 0.9 0.95; do
    for b in false true; do
        printf '[smoothing]\nmode = "flow"\nstrength = %s\nbackward_pass = %s\nwindow = 32\n' $s $b \
            >"$OUT/presets/s${s}_b$b.toml"
        variants+=("s${s}_b$b")
    done
done
for w in 16 64 128; do  # the backward pass's window at 0.95
    printf '[smoothing]\nmode = "flow"\nstrength = 0.95\nbackward_pass = true\nwindow = %s\n' $w >"$OUT/presets/w$w.toml"
    variants+=("w$w")
done
for v in "${variants[@]}"; do
    mkdir -p "$OUT/$v"
    for g in "$OUT"/gray/*.mkv; do
        videocolor colorize "$g" -o "$OUT/$v/$(basename "$g")" --preset "$OUT/presets/$v.toml" --overwrite --quiet "$@"
    done
    videocolor evaluate "$OUT/$v" "$OUT/truth" --json --no-per-frame >"$OUT/$v.json"
    python - "$OUT/$v.json" "$v" <<'EOF'
import json, sys
cells = []
for c in json.load(open(sys.argv[1]))["clips"]:
    gain = "-" if isinstance(c["psnr"], str) else f"{c['psnr'] - c['psnr_gray']:+.2f} dB"
    cells.append(f"{c['name'][:20]} CDC {c['cdc'] / c['cdc_truth']:.2f}x WE {c['warp'] / c['warp_truth']:.2f}x {gain}")
print(f"{sys.argv[2]:12s} | " + " | ".join(cells))
EOF
done
