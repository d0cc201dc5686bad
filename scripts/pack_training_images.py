"""Pack the training photos into one compact folder of WebP files for the GPU machine.

Only the photos in ../shared/data/train and ../shared/data/train_extra are packed (never the evaluation
sets). The short side is reduced to --short-side (never upscaled) and written as WebP, so the whole set
travels within the device tool's 64 MiB limit. Usage:

    python scripts/pack_training_images.py ../shared/data/train ../shared/data/train_extra -o .carry/train
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
from tqdm import tqdm

EXTS = {".jpg", ".jpeg", ".png", ".webp"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--short-side", type=int, default=224)
    ap.add_argument("--quality", type=int, default=82)
    args = ap.parse_args()
    files = sorted(p for f in args.folders for p in f.rglob("*") if p.suffix.lower() in EXTS)
    total = 0
    for src in tqdm(files, unit="img"):
        img = cv2.imread(str(src), cv2.IMREAD_COLOR)
        h, w = img.shape[:2]
        scale = args.short_side / min(h, w)
        if scale < 1:
            img = cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        dst = args.out / src.parent.parent.name / src.parent.name / (src.stem + ".webp")
        dst.parent.mkdir(parents=True, exist_ok=True)
        ok, buf = cv2.imencode(".webp", img, [cv2.IMWRITE_WEBP_QUALITY, args.quality])
        dst.write_bytes(buf.tobytes())
        total += len(buf)
    print(f"{len(files)} images, {total / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()
