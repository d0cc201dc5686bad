"""Run the colorize stages on a video with taps between them, and keep what each stage made.

The chain is the one `colorize_frames` runs (decode -> infer -> ChromaSmoother -> merge, the same stage
functions and options); the taps only copy: the model's own input and output (a forward hook), the raw
predicted chroma (before the smoother) and the smoothed chroma (after it). Per-frame numbers are kept for
every frame; pictures only for the selected ones.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from videocolor.color import MATRICES, Matrix, code_to_analog, merge_chroma, model_output_to_rgb
from videocolor.io import MediaInfo, choose_layout, decode_frames, time_window
from videocolor.pipeline import ColorizeOptions, Colorizer, threaded
from videocolor.pipeline.stages import _infer, _merge
from videocolor.temporal import ChromaSmoother, SmoothItem

__all__ = ["FrameRecord", "FrameShots", "Selection", "run_debug"]


@dataclass(frozen=True)
class Selection:
    """Which frames get pictures: frame indices, times (the first frame at or after each), every Nth
    frame, and/or the first frame of every shot (scene cuts, as the smoother detects them)."""

    frames: tuple[int, ...] = ()
    times: tuple[float, ...] = ()
    every: int | None = None
    cuts: bool = False

    @property
    def empty(self) -> bool:
        return not (self.frames or self.times or self.every or self.cuts)


@dataclass
class FrameRecord:
    """Per-frame numbers; chroma in analog units (Cb/Cr in -0.5..0.5), changes are mean |C_t - C_t-1|."""

    index: int
    time: float
    selected: bool
    cut: bool
    reset: bool
    confidence: float
    cb_mean: float
    cr_mean: float
    cb_std: float
    cr_std: float
    raw_cb_mean: float
    raw_cr_mean: float
    change: float | None
    raw_change: float | None


@dataclass
class FrameShots:
    """The pictures of one selected frame, uint8 RGB (h, w, 3), and the Y/Cb/Cr code-value planes that
    `colorize` would encode for it."""

    index: int
    planes: tuple[np.ndarray, np.ndarray, np.ndarray]
    images: dict[str, np.ndarray] = field(default_factory=dict)


STAGES = {
    "decoded": "decoded (luma: what the pipeline reads)",
    "model_input": "model input (render size)",
    "model_output": "raw model colour (render size)",
    "raw": "luma + raw predicted chroma (before smoothing)",
    "smoothed": "smoothed chroma (shown at mid gray)",
    "final": "final frame (as encoded)",
}


def _gray(luma: np.ndarray) -> np.ndarray:
    g = np.clip(luma * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def _rgb(luma: torch.Tensor, chroma: np.ndarray, matrix: Matrix) -> np.ndarray:
    """uint8 RGB at the luma's size from analog luma (H, W) and chroma (2, h, w) (upsampled bilinearly)."""
    c = torch.from_numpy(np.ascontiguousarray(chroma, np.float32))[None]
    c = F.interpolate(c, size=tuple(luma.shape), mode="bilinear", align_corners=False)[0]
    rgb = merge_chroma(luma[None].float(), c, matrix)
    return (rgb.permute(1, 2, 0).numpy() * 255.0 + 0.5).astype(np.uint8)


def _tensor_rgb(x: torch.Tensor) -> np.ndarray:
    return (model_output_to_rgb(x.float()).permute(1, 2, 0).cpu().numpy() * 255.0 + 0.5).astype(np.uint8)


def _tap(items: Iterable[SmoothItem], key: str) -> Iterator[SmoothItem]:
    for item in items:
        item.info[key] = item.chroma
        yield item


def run_debug(
    info: MediaInfo,
    colorizer: Colorizer,
    options: ColorizeOptions,
    selection: Selection,
    *,
    on_frame: Callable[[FrameRecord, FrameShots | None], None],
) -> int:
    """Colorize ``info.path`` as `colorize` would and call ``on_frame`` once per frame, in order, with its
    numbers and (for selected frames) its pictures. Returns the frame count."""
    layout = choose_layout(info, options.encode.codec or "libx264", options.encode.pix_fmt)
    matrix = MATRICES[info.matrix]
    # One batch at a time: the forward hook numbers the model's inputs and outputs in the order the calls
    # end, which two workers would not keep. The frames are the same either way (the pipeline's tests).
    colorizer = copy.copy(colorizer)
    colorizer.workers = 1
    model_io: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    rows = [0]

    def hook(_module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        for x, y in zip(inputs[0], output, strict=True):
            model_io[rows[0]] = (_tensor_rgb(x), _tensor_rgb(y))
            rows[0] += 1

    handle = colorizer.model.register_forward_hook(hook)
    window = time_window(info, options.start, options.duration)
    decoded = threaded(decode_frames(info, window=window), options.queue_size, "decode")
    predicted = threaded(
        _infer(decoded, colorizer, layout.chroma_size, info.matrix, info.color_range),
        options.queue_size,
        "infer",
    )
    smoothed = _tap(ChromaSmoother(options.smoothing).process(_tap(predicted, "raw_chroma")), "chroma")
    times = sorted(selection.times)
    wanted = set(selection.frames)
    prev: tuple[np.ndarray, np.ndarray] | None = None
    count = 0
    try:
        for n, out in enumerate(
            threaded(_merge(smoothed, layout, info.color_range), options.queue_size, "merge")
        ):
            raw, chroma, sm = out.info["raw_chroma"], out.info["chroma"], out.info.get("smoothing", {})
            t = float((out.pts - (info.start_pts or 0)) * info.time_base)  # the input's timeline, as --start
            due = bisect.bisect_right(times, t + 1e-9)
            selected = (
                n in wanted
                or due > 0
                or (selection.every is not None and n % selection.every == 0)
                or (selection.cuts and (n == 0 or bool(sm.get("cut"))))
            )
            del times[:due]
            record = FrameRecord(
                index=n,
                time=t,
                selected=selected,
                cut=bool(sm.get("cut", False)),
                reset=bool(sm.get("reset", False)),
                confidence=float(sm.get("confidence", 0.0)),
                cb_mean=float(chroma[0].mean()),
                cr_mean=float(chroma[1].mean()),
                cb_std=float(chroma[0].std()),
                cr_std=float(chroma[1].std()),
                raw_cb_mean=float(raw[0].mean()),
                raw_cr_mean=float(raw[1].mean()),
                change=None if prev is None else float(np.abs(chroma - prev[1]).mean()),
                raw_change=None if prev is None else float(np.abs(raw - prev[0]).mean()),
            )
            prev = (raw, chroma)
            model_in, model_out = model_io.pop(n)
            shots = None
            if selected:
                y_code, cb_code, cr_code = (torch.from_numpy(p.astype(np.float32)) for p in out.planes)
                luma = code_to_analog(y_code, bits=layout.bits, value_range=layout.color_range)
                final_c = code_to_analog(
                    torch.stack((cb_code, cr_code)),
                    bits=layout.bits,
                    value_range=layout.color_range,
                    chroma=True,
                )
                shots = FrameShots(n, out.planes)
                shots.images = {
                    "decoded": _gray(luma.numpy()),
                    "model_input": model_in,
                    "model_output": model_out,
                    "raw": _rgb(luma, raw, matrix),
                    "smoothed": _rgb(torch.full(chroma.shape[1:], 0.5), chroma, matrix),
                    "final": _rgb(luma, final_c.numpy(), matrix),
                }
            on_frame(record, shots)
            count += 1
    finally:
        handle.remove()
    return count


def summary(records: list[FrameRecord]) -> dict[str, Any]:
    """Mean frame-to-frame chroma change before and after smoothing (the flicker the smoother removed)."""
    raw = [r.raw_change for r in records if r.raw_change is not None and not r.cut]
    out = [r.change for r in records if r.change is not None and not r.cut]
    return {
        "frames": len(records),
        "selected": sum(r.selected for r in records),
        "cuts": sum(r.cut for r in records),
        "resets": sum(r.reset for r in records),
        "mean_change_raw": float(np.mean(raw)) if raw else None,
        "mean_change": float(np.mean(out)) if out else None,
        "mean_confidence": float(np.mean([r.confidence for r in records])) if records else None,
    }
