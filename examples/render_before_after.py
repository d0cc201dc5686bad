"""Render examples/before_after.png: frames of the example clip before and after `videocolor colorize`.

videocolor colorize examples/astronaut_bw.mp4 -o astronaut_color.mp4
python examples/render_before_after.py astronaut_color.mp4
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
import cv2
import numpy as np

HERE = Path(__file__).parent


def frames(path: Path, picks: tuple[int, ...]) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        decoded = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    return [decoded[i] for i in picks]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("colorized", type=Path)
    ap.add_argument("--source", type=Path, default=HERE / "astronaut_bw.mp4")
    ap.add_argument("-o", "--out", type=Path, default=HERE / "before_after.png")
    ap.add_argument("--frames", type=int, nargs="+", default=[10, 50, 80])
    args = ap.parse_args()
    before = frames(args.source, tuple(args.frames))
    after = frames(args.colorized, tuple(args.frames))
    rows = [np.hstack([b, a]) for b, a in zip(before, after, strict=True)]
    sheet = np.vstack(rows)
    sheet = cv2.resize(sheet, (sheet.shape[1] // 2, sheet.shape[0] // 2), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(args.out), sheet)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
