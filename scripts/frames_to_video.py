"""Pack a folder of frames (sorted by name) into a lossless H.264 .mkv, e.g. DAVIS sequences for scoring.

python scripts/frames_to_video.py ../shared/data/davis/tennis -o tennis.mkv [--fps 24]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
import cv2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--fps", type=int, default=24)
    args = ap.parse_args()
    files = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    first = cv2.imread(str(files[0]))
    with av.open(str(args.out), "w") as out:
        stream = out.add_stream("libx264rgb", rate=args.fps, options={"qp": "0"})
        stream.width, stream.height, stream.pix_fmt = first.shape[1], first.shape[0], "bgr24"
        for f in files:
            for pkt in stream.encode(av.VideoFrame.from_ndarray(cv2.imread(str(f)), format="bgr24")):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    print(f"wrote {args.out}: {len(files)} frames")


if __name__ == "__main__":
    main()
