"""Temporal metrics: CDC (TCVC) and warping error (Lai et al. 2018), over uint8 RGB frames (H, W, 3).

CDC follows TCVC's ``compute_hist.py``: per frame a 256-bin histogram of each channel divided by H*W;
for gaps 1, 2, 4 the mean Jensen-Shannon divergence (natural log) of frame t vs t + gap; the gaps are
weighted 1/3 each per channel, and CDC is the mean of the channels. A gap with no pair (a clip of <= gap
frames) makes CDC NaN, as ``np.mean([])`` does there.

The warping error follows fast_blind_video_consistency's ``evaluate_WarpError.py`` on frames scaled to
0..1: E_t = sum(M (warp(O_t) - O_t-1)^2) / sum(M) over all channels, M the non-occluded mask of the
flow from gray frame t-1 to t; the clip's error is the mean over pairs. Lai et al. used FlowNet2; we use
OpenCV DIS (preset "medium", full resolution) and their occlusion test (:func:`flow_occlusion`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from videocolor.temporal.flow import dis_flow, flow_occlusion, warp

__all__ = [
    "CDC_GAPS",
    "cdc",
    "cdc_from_histograms",
    "channel_histograms",
    "gray_flow",
    "js_divergence",
    "warping_error",
    "warping_error_pair",
]

CDC_GAPS = (1, 2, 4)


def channel_histograms(frame: np.ndarray) -> np.ndarray:
    """(3, 256) float64: per channel, the count of each code value divided by H*W."""
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"need a uint8 (H, W, 3) frame, got {frame.dtype} {frame.shape}")
    n = frame.shape[0] * frame.shape[1]
    return np.stack([np.bincount(frame[..., c].ravel(), minlength=256) / n for c in range(3)])


def js_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence (natural log) along the last axis; 0 log 0 counts as 0."""
    m = 0.5 * (p + q)

    def kl(a: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a > 0, a * np.log(a / m), 0.0).sum(-1)

    return 0.5 * kl(p) + 0.5 * kl(q)


def cdc_from_histograms(hists: Sequence[np.ndarray], gaps: Sequence[int] = CDC_GAPS) -> float:
    """CDC from the per-frame (3, 256) histograms of one clip."""
    h = np.asarray(hists)
    per_channel = np.zeros(3)
    for gap in gaps:
        if len(h) <= gap:
            return float("nan")
        per_channel += js_divergence(h[:-gap], h[gap:]).mean(axis=0) / len(gaps)
    return float(per_channel.mean())


def cdc(frames: Iterable[np.ndarray], gaps: Sequence[int] = CDC_GAPS) -> float:
    """Colour distribution consistency of ONE clip (lower = steadier; a static clip scores 0)."""
    return cdc_from_histograms([channel_histograms(f) for f in frames], gaps)


def gray_flow(prev_gray: np.ndarray, gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flow from gray frame t-1 to t and the non-occluded mask in t-1's frame (uint8 (H, W) inputs)."""
    fw = dis_flow(prev_gray, gray, "medium")
    bw = dis_flow(gray, prev_gray, "medium")
    return fw, ~flow_occlusion(fw, bw)


def warping_error_pair(prev: np.ndarray, cur: np.ndarray, flow: np.ndarray, valid: np.ndarray) -> float:
    """Masked mean squared difference (0..1 scale) between ``prev`` and ``cur`` warped back by ``flow``."""
    a = prev.astype(np.float32) / 255.0
    b = warp(cur.astype(np.float32) / 255.0, flow.astype(np.float32))
    m = valid.astype(np.float32)[..., None]
    n = float(m.sum()) * a.shape[2]
    if n == 0.0:  # everything occluded: Lai et al. divide by the full size
        n = float(a.size)
    return float(np.sum(np.square(b - a) * m) / n)


def warping_error(frames: Sequence[np.ndarray], gray: Sequence[np.ndarray]) -> float:
    """Mean warping error of a clip, flows and masks from its gray input ``gray`` (uint8 (H, W))."""
    if len(frames) != len(gray) or len(frames) < 2:
        raise ValueError("warping error needs >= 2 frames and one gray frame per output frame")
    errs = []
    for t in range(1, len(frames)):
        flow, valid = gray_flow(gray[t - 1], gray[t])
        errs.append(warping_error_pair(frames[t - 1], frames[t], flow, valid))
    return float(np.mean(errs))
