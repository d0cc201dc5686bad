"""Optical flow on luma (OpenCV DIS), backward warping and forward/backward consistency.

Convention: ``flow = dis_flow(a, b)`` gives, for each pixel x of image ``a``, the displacement to the
matching pixel of ``b``: ``a(x) ~ b(x + flow(x))``. So ``warp(b, flow)`` is ``b`` aligned to ``a``.
Flows are (h, w, 2) float32 in pixels (x, y).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import cv2
import numpy as np

__all__ = [
    "FlowPreset",
    "consistency_error",
    "dis_flow",
    "flow_occlusion",
    "resize",
    "to_uint8",
    "warp",
]

FlowPreset = Literal["ultrafast", "fast", "medium"]
_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


@lru_cache(maxsize=4)
def _dis(preset: FlowPreset) -> cv2.DISOpticalFlow:
    return cv2.DISOpticalFlow_create(_PRESETS[preset])


def to_uint8(luma: np.ndarray) -> np.ndarray:
    """Float luma in [0, 1] -> uint8, the only input type DIS accepts."""
    return np.clip(luma * 255.0 + 0.5, 0, 255).astype(np.uint8)


def dis_flow(a: np.ndarray, b: np.ndarray, preset: FlowPreset = "fast") -> np.ndarray:
    """DIS optical flow between two uint8 gray images of the same size (see module docstring)."""
    if a.dtype != np.uint8 or b.dtype != np.uint8 or a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"dis_flow needs two uint8 (h, w) images of one size, got {a.shape} {b.shape}")
    return _dis(preset).calc(a, b, None)


@lru_cache(maxsize=8)
def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return xs, ys


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample ``image`` at x + flow(x), bilinear, border replicated (as FlowNet2's Resample2d clamps).

    ``image`` is (h, w) or (h, w, c) with c <= 4, float32.
    """
    xs, ys = _grid(flow.shape[0], flow.shape[1])
    return cv2.remap(
        image, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize (h, w[, c]) to ``size`` = (h, w): area filter when shrinking, bilinear when growing.

    A shrink by k >= 2 that is not a whole factor first goes bilinearly to k times ``size``: OpenCV's area
    filter is ~4x slower at other ratios than at whole ones (the result differs by under 1 % of the range).
    """
    h, w = size
    ih, iw = image.shape[:2]
    if (ih, iw) == (h, w):
        return image
    if h > ih or w > iw:
        return cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
    k = min(ih // h, iw // w)
    if k >= 2 and (ih, iw) != (h * k, w * k):
        image = cv2.resize(image, (w * k, h * k), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)


def _sq(flow: np.ndarray) -> np.ndarray:
    """Squared magnitude of an (h, w, 2) flow (two products: much faster than a reduce over the last axis)."""
    u, v = flow[..., 0], flow[..., 1]
    return u * u + v * v


def consistency_error(flow_ab: np.ndarray, flow_ba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward/backward disagreement in ``a``'s frame, and the tolerance Lai et al. allow for it.

    Returns (|ab + ba(x + ab)|^2, 0.01 (|ba(x + ab)|^2 + |ab|^2) + 0.5), both (h, w) float32.
    """
    ba_w = warp(flow_ba, flow_ab)
    err = _sq(flow_ab + ba_w)
    tol = 0.01 * (_sq(ba_w) + _sq(flow_ab)) + 0.5
    return err, tol


def flow_occlusion(flow_ab: np.ndarray, flow_ba: np.ndarray) -> np.ndarray:
    """Occlusion mask in ``a``'s frame (True = occluded or motion boundary), as Lai et al. 2018 compute it.

    Mirrors fast_blind_video_consistency's ``detect_occlusion``: forward/backward inconsistency or a large
    flow gradient (squared magnitudes throughout, as there).
    """
    err, tol = consistency_error(flow_ab, flow_ba)
    grad = np.zeros(flow_ab.shape[:2], np.float32)
    dx = flow_ab[:, :-1] - flow_ab[:, 1:]
    dy = flow_ab[:-1, :] - flow_ab[1:, :]
    grad[:, :-1] += _sq(dx)
    grad[:-1, :] += _sq(dy)
    boundary = grad > 0.01 * _sq(flow_ab) + 0.002
    return (err > tol) | boundary
