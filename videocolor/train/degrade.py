"""Archival degradations of the model input (the target stays clean), one image at a time on the CPU.

The input of a colorizer is luma, so every degradation acts on a luma plane: a tint or a film's own
spectral response (sepia, orthochromatic stock) changes how R, G and B mix into gray, then contrast and
gamma shifts, blur, film grain, scratches and dust, and JPEG artefacts of a digitised print. Each runs
with its configured probability and a magnitude scaled by `strength`; all randomness comes from the
`numpy.random.Generator` passed in, so a sample is a pure function of its seed (exact resume, DDP).
"""

from __future__ import annotations

import cv2
import numpy as np

from videocolor.color import MATRICES
from videocolor.train.config import DegradeConfig

__all__ = ["degrade_luma", "luma_u8"]

_BT601 = np.array([MATRICES["bt601"].kr, MATRICES["bt601"].kg, MATRICES["bt601"].kb], np.float32)


def luma_u8(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma of an (H, W, 3) uint8 RGB image, rounded to uint8 (the clean model input)."""
    y = rgb.astype(np.float32) @ _BT601
    return np.clip(y + 0.5, 0, 255).astype(np.uint8)


def _mix_weights(rng: np.random.Generator, s: float) -> np.ndarray:
    # Film stocks and tinted prints weigh R, G, B differently (orthochromatic film barely sees red).
    other = rng.dirichlet(np.full(3, 2.0)).astype(np.float32)
    w = (1.0 - s * rng.uniform(0.2, 0.7)) * _BT601 + s * rng.uniform(0.2, 0.7) * other
    return w / w.sum() * rng.uniform(1.0 - 0.15 * s, 1.0 + 0.1 * s)


def _contrast(y: np.ndarray, rng: np.random.Generator, s: float) -> np.ndarray:
    gamma = float(np.exp(rng.normal(0.0, 0.25 * s)))
    y = np.power(np.clip(y, 0.0, 1.0), gamma)
    lo = rng.uniform(0.0, 0.15 * s)  # lifted blacks of a faded print
    hi = 1.0 - rng.uniform(0.0, 0.15 * s)
    gain = 1.0 + rng.uniform(-0.3, 0.25) * s
    return (y - 0.5) * gain + 0.5 + rng.uniform(-0.06, 0.06) * s if rng.random() < 0.5 else lo + (hi - lo) * y


def _grain(y: np.ndarray, rng: np.random.Generator, s: float) -> np.ndarray:
    h, w = y.shape
    cell = int(rng.integers(1, 3))  # grain clumps of 1-2 px
    small = rng.standard_normal(((h + cell - 1) // cell, (w + cell - 1) // cell), dtype=np.float32)
    grain = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR) if cell > 1 else small
    amp = rng.uniform(0.01, 0.07) * s
    # Grain is strongest in the mid-tones of a print.
    return y + amp * grain * (0.5 + 2.0 * y * (1.0 - y))


def _scratches(y: np.ndarray, rng: np.random.Generator, s: float) -> np.ndarray:
    h, w = y.shape
    for _ in range(int(rng.integers(1, 5))):
        x0 = rng.uniform(0, w)
        x1 = x0 + rng.uniform(-0.05, 0.05) * w
        y0, y1 = (0, h) if rng.random() < 0.7 else sorted(rng.uniform(0, h, 2))
        value = float(rng.choice([0.0, 1.0]))
        layer = np.zeros_like(y)
        cv2.line(layer, (int(x0), int(y0)), (int(x1), int(y1)), 1.0, int(rng.integers(1, 3)))
        alpha = layer * rng.uniform(0.2, 0.7) * s
        y = y * (1.0 - alpha) + value * alpha
    return y


def _dust(y: np.ndarray, rng: np.random.Generator, s: float) -> np.ndarray:
    h, w = y.shape
    n = int(rng.integers(3, 30) * s) + 1
    for cx, cy, r, v in zip(
        rng.integers(0, w, n), rng.integers(0, h, n), rng.integers(1, 4, n), rng.random(n), strict=True
    ):
        cv2.circle(y, (int(cx), int(cy)), int(r), 0.05 if v < 0.6 else 0.95, -1)
    return y


def degrade_luma(rgb: np.ndarray, cfg: DegradeConfig, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> degraded (H, W) uint8 luma."""
    s = cfg.strength
    if s <= 0.0:
        return luma_u8(rgb)
    weights = _mix_weights(rng, s) if rng.random() < cfg.tint else _BT601
    y = (rgb.astype(np.float32) @ weights) / 255.0
    if rng.random() < cfg.contrast:
        y = _contrast(y, rng, s)
    if rng.random() < cfg.blur:
        y = cv2.GaussianBlur(y, (0, 0), float(rng.uniform(0.3, 0.6 + 1.0 * s)))
    if rng.random() < cfg.grain:
        y = _grain(y, rng, s)
    if rng.random() < cfg.scratches:
        y = _scratches(y, rng, s)
    if rng.random() < cfg.dust:
        y = _dust(np.ascontiguousarray(y, dtype=np.float32), rng, s)
    out = np.clip(y * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < cfg.jpeg:
        quality = int(round(95 - rng.uniform(10, 80) * min(s, 1.0)))
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return out
