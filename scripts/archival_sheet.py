"""The model card's archival contact sheet: `videocolor frames` on each film, their sheets stacked.

    python scripts/archival_sheet.py ../shared/data/archival/*.mp4 -o models/fast.v4_archival.png \
        [--work runs/archival] [--every 60] [--width 732] [extra `videocolor frames` args]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("films", nargs="+", type=Path)
    ap.add_argument("-o", "--output", required=True, type=Path)
    ap.add_argument("--work", type=Path, default=Path("runs/archival"))
    ap.add_argument("--every", type=int, default=60, help="one frame in this many")
    ap.add_argument("--width", type=int, default=732, help="width of the stacked sheet in pixels")
    args, extra = ap.parse_known_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sheets = []
    for film in args.films:
        out = args.work / film.stem
        cmd = ["videocolor", "frames", str(film), "--out", str(out), "--every", str(args.every), *extra]
        subprocess.run(cmd, check=True)
        sheet = cv2.imread(str(out / "contact_sheet.png"))
        h = round(sheet.shape[0] * args.width / sheet.shape[1])
        sheets.append(cv2.resize(sheet, (args.width, h), interpolation=cv2.INTER_AREA))
    if not cv2.imwrite(str(args.output), np.concatenate(sheets)):
        sys.exit(f"could not write {args.output}")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
