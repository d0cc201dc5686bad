"""Temporal smoothing cost: ms per frame at 480p and 1080p, and its share of the colorize pipeline at 480p.

    python benchmarks/smoothing.py [--frames 60] [--model fast]

The smoother sees what the pipeline hands it: luma and chroma at the chroma-plane size (4:2:0, so half
the frame size). The pipeline share is measured side by side in one run: the same 480p clip through
`colorize_frames` with smoothing "none" and "flow" (the model has random weights: timing only).
Target: flow smoothing <= 10 % of the pipeline's wall time at 480p.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np
import torch

from videocolor.temporal import ChromaSmoother, SmoothingConfig, SmoothItem


def _scene(h: int, w: int, n: int) -> list[SmoothItem]:
    """A textured background panning 2 px/frame under flickering chroma."""
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.uniform(0, 1, (h, w + 2 * n)).astype(np.float32), (0, 0), 3)
    base = (base - base.min()) / (base.max() - base.min())
    items = []
    for t in range(n):
        luma = np.ascontiguousarray(base[:, 2 * t : 2 * t + w])
        chroma = np.stack([luma - 0.5, 0.5 - luma]) * 0.2 + rng.normal(0, 0.02, (2, 1, 1))
        items.append(SmoothItem(t, luma, chroma.astype(np.float32), {}))
    return items


def time_smoother(h: int, w: int, n: int, config: SmoothingConfig) -> float:
    """Seconds per frame for the smoother alone (chroma-plane size h x w)."""
    items = _scene(h, w, n)
    list(ChromaSmoother(config).process(items[:3]))  # warm-up (OpenCV allocations)
    start = time.perf_counter()
    for _ in ChromaSmoother(config).process(items):
        pass
    return (time.perf_counter() - start) / n


def _clip(path: Path, n: int) -> Path:
    items = _scene(480, 854, n)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 854, 480, "yuv420p"
        for item in items:
            gray = (item.luma * 255).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(gray, format="gray")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def time_pipeline(clip: Path, model_name: str, smoothing: SmoothingConfig) -> float:
    """Wall seconds for decode -> infer -> smooth -> merge over the whole clip (no encode)."""
    from videocolor.io import choose_layout, decode_frames, probe
    from videocolor.nets import build_generator, prepare_for_inference
    from videocolor.pipeline import Colorizer, colorize_frames

    info = probe(clip)
    model = prepare_for_inference(build_generator(model_name), torch.device("cpu"))
    colorizer = Colorizer(model, device=torch.device("cpu"), render_size=21 * 16, batch_size=4)
    layout = choose_layout(info, "libx264", None)
    start = time.perf_counter()
    for _ in colorize_frames(decode_frames(info), colorizer, layout=layout, matrix=info.matrix,
                             value_range=info.color_range, smoothing=smoothing):  # fmt: skip
        pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--model", default="fast", help="generator for the pipeline share (random weights)")
    parser.add_argument("--skip-pipeline", action="store_true")
    args = parser.parse_args()
    print(f"torch threads {torch.get_num_threads()}, OpenCV threads {cv2.getNumThreads()}")
    per_frame = {}
    for label, (h, w) in (("480p", (240, 427)), ("1080p", (540, 960))):
        for mode, extra in (("flow", {"backward_pass": False}), ("flow+backward", {}), ("ema", {})):
            cfg = SmoothingConfig(mode="ema" if mode == "ema" else "flow", **extra)
            per_frame[label, mode] = time_smoother(h, w, args.frames, cfg)
            print(
                f"{label:>5} {mode:<14} chroma plane {w}x{h}: {per_frame[label, mode] * 1000:6.1f} ms/frame"
            )
    if args.skip_pipeline:
        return
    with tempfile.TemporaryDirectory() as tmp:
        clip = _clip(Path(tmp) / "clip480.mp4", args.frames)
        time_pipeline(clip, args.model, SmoothingConfig(mode="none"))  # warm-up
        none = time_pipeline(clip, args.model, SmoothingConfig(mode="none"))
        flow = time_pipeline(clip, args.model, SmoothingConfig(mode="flow"))
    n = args.frames
    print(f"480p pipeline ({args.model}, render factor 21, {n} frames): none {n / none:.2f} fps, "
          f"flow {n / flow:.2f} fps")  # fmt: skip
    print(f"smoothing share of the 480p pipeline wall time: "
          f"{per_frame['480p', 'flow+backward'] * n / flow * 100:.1f} % (smoother time / wall), "
          f"{(flow - none) / flow * 100:.1f} % (wall time added vs none); target <= 10 %")  # fmt: skip


if __name__ == "__main__":
    main()
