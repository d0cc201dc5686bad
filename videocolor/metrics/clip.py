"""Score one predicted clip against its ground truth, streaming (two frames in memory)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from videocolor.color import Matrix
from videocolor.metrics.image import colourfulness, gray_twin, psnr, ssim
from videocolor.metrics.video import cdc_from_histograms, channel_histograms, gray_flow, warping_error_pair

__all__ = ["ClipScores", "FrameScores", "score_clip"]


@dataclass(frozen=True)
class FrameScores:
    """Per-frame numbers; the warping errors are None for the first frame (they score pairs t-1, t)."""

    index: int
    psnr: float
    psnr_gray: float  # the gray twin of the truth against the truth: the "do nothing" baseline
    ssim: float
    cf: float
    cf_truth: float
    warp: float | None
    warp_truth: float | None


@dataclass(frozen=True)
class ClipScores:
    name: str
    frames: int
    psnr: float
    psnr_gray: float
    ssim: float
    cf: float
    cf_truth: float
    dcf: float
    cdc: float
    cdc_truth: float
    warp: float | None
    warp_truth: float | None
    per_frame: list[FrameScores] = field(default_factory=list, repr=False)


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def score_clip(
    name: str,
    pairs: Iterable[tuple[np.ndarray, np.ndarray]],
    matrix: Matrix,
    *,
    temporal: bool = True,
) -> ClipScores:
    """``pairs`` yields (prediction, truth) uint8 RGB frames. Flows and occlusion masks for the warping
    error come from the truth's luma (the gray input of the colorization); ``temporal=False`` skips the
    warping error (photos, or a quick run)."""
    frames: list[FrameScores] = []
    hists, hists_truth = [], []
    prev: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    for i, (pred, truth) in enumerate(pairs):
        if pred.shape != truth.shape:
            raise ValueError(f"{name}: frame {i} is {pred.shape[1]}x{pred.shape[0]} in the prediction "
                             f"but {truth.shape[1]}x{truth.shape[0]} in the truth")  # fmt: skip
        if prev is not None and truth.shape != prev[1].shape:
            raise ValueError(f"{name}: frame {i} is {truth.shape[1]}x{truth.shape[0]} but the clip's frames "
                             f"before it are {prev[1].shape[1]}x{prev[1].shape[0]}: a folder of photos"
                             " needs --photos")  # fmt: skip
        gray3 = gray_twin(truth, matrix)
        gray = np.ascontiguousarray(gray3[..., 0])
        warp = warp_truth = None
        if temporal and prev is not None:
            flow, valid = gray_flow(prev[2], gray)
            warp = warping_error_pair(prev[0], pred, flow, valid)
            warp_truth = warping_error_pair(prev[1], truth, flow, valid)
        frames.append(
            FrameScores(
                i,
                psnr(pred, truth),
                psnr(gray3, truth),
                ssim(pred, truth),
                colourfulness(pred),
                colourfulness(truth),
                warp,
                warp_truth,
            )  # fmt: skip
        )
        hists.append(channel_histograms(pred))
        hists_truth.append(channel_histograms(truth))
        prev = (pred, truth, gray)
    if not frames:
        raise ValueError(f"{name}: no frames")
    cf, cf_truth = _mean([f.cf for f in frames]), _mean([f.cf_truth for f in frames])
    warps = [f.warp for f in frames if f.warp is not None]
    warps_truth = [f.warp_truth for f in frames if f.warp_truth is not None]
    return ClipScores(
        name=name,
        frames=len(frames),
        psnr=_mean([f.psnr for f in frames]),
        psnr_gray=_mean([f.psnr_gray for f in frames]),
        ssim=_mean([f.ssim for f in frames]),
        cf=cf,
        cf_truth=cf_truth,
        dcf=abs(cf - cf_truth),
        cdc=cdc_from_histograms(hists),
        cdc_truth=cdc_from_histograms(hists_truth),
        warp=_mean(warps) if warps else None,
        warp_truth=_mean(warps_truth) if warps_truth else None,
        per_frame=frames,
    )
