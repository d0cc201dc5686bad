"""Make examples/astronaut_bw.mp4: a short black-and-white clip from public-domain photos in scikit-image.

The frames are a slow pan and zoom over NASA's astronaut portrait (public domain, shipped in
scikit-image as `skimage.data.astronaut`), then a cut to NASA's rocket photo (`skimage.data.rocket`,
also public domain), reduced to luma (BT.709, limited range, chroma neutral) and written as H.264 with a
quiet 440 Hz AAC tone, so the example also shows that audio is carried through. Run:

    python examples/make_example.py            # writes examples/astronaut_bw.mp4
"""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from skimage import data

WIDTH, HEIGHT, FPS = 640, 360, 24


def _pan_zoom(
    img: np.ndarray, n: int, zoom: tuple[float, float], x: tuple[float, float], size: tuple[int, int]
) -> list[np.ndarray]:
    """n frames of a (width, height) window moving over img: zoom and horizontal centre interpolated."""
    h, w = img.shape[:2]
    width, height = size
    out = []
    for t in np.linspace(0.0, 1.0, n):
        z = zoom[0] + (zoom[1] - zoom[0]) * t
        cw, ch = w / z, w / z * height / width
        cx = x[0] + (x[1] - x[0]) * t
        x0 = np.clip(cx * w - cw / 2, 0, w - cw)
        y0 = (h - ch) * 0.35
        m = np.array([[width / cw, 0, -x0 * width / cw], [0, height / ch, -y0 * height / ch]])
        out.append(cv2.warpAffine(img, m, (width, height), flags=cv2.INTER_AREA))
    return out


def make_frames(seconds: float, size: tuple[int, int] = (WIDTH, HEIGHT), fps: int = FPS) -> list[np.ndarray]:
    """RGB frames (gray content): a pan and zoom over each photo, 60 % of the time on the first."""
    n1 = int(fps * seconds * 0.6)
    n2 = int(fps * seconds) - n1
    frames = _pan_zoom(data.astronaut(), n1, (1.0, 1.6), (0.5, 0.42), size)
    frames += _pan_zoom(data.rocket(), n2, (1.0, 1.25), (0.45, 0.55), size)
    # Luma only: the clip is genuinely black and white (chroma neutral), as an archival scan would be.
    return [cv2.cvtColor(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB) for f in frames]


def write(path: Path, frames: list[np.ndarray], fps: int = FPS) -> None:
    """H.264 (limited range) with a quiet mono AAC tone as long as the video."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps, options={"crf": "20", "preset": "slow"})
        video.height, video.width = frames[0].shape[:2]
        video.pix_fmt = "yuv420p"
        video.codec_context.color_range = 1  # limited ("tv")
        audio = out.add_stream("aac", rate=48000, layout="mono")
        for img in frames:
            for pkt in video.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in video.encode():
            out.mux(pkt)
        n_samples = len(frames) * 48000 // fps
        tone = (0.05 * np.sin(2 * np.pi * 440 * np.arange(n_samples) / 48000)).astype(np.float32)
        for start in range(0, n_samples, 1024):
            chunk = tone[None, start : start + 1024]
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = 48000, start, Fraction(1, 48000)
            for pkt in audio.encode(frame):
                out.mux(pkt)
        for pkt in audio.encode():
            out.mux(pkt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, default=Path(__file__).with_name("astronaut_bw.mp4"))
    ap.add_argument("--seconds", type=float, default=4.0)
    args = ap.parse_args()
    write(args.out, make_frames(args.seconds))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
