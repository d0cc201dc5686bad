"""Per-image colorization metrics over uint8 RGB frames (H, W, 3), as the reference code computes them.

See ../shared/METRICS.md: PSNR as TCVC's test code, SSIM as BasicSR/DDColor's ``calculate_ssim``,
colourfulness as DDColor's ``colorfulness`` (Hasler & Suesstrunk with abs rg / yb).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch

from videocolor.color import Matrix, luma_of

__all__ = ["colourfulness", "gray_twin", "psnr", "ssim"]


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if a.shape != b.shape or a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"need two (H, W, 3) images of one size, got {a.shape} and {b.shape}")
    return a.astype(np.float64), b.astype(np.float64)


def psnr(pred: np.ndarray, truth: np.ndarray) -> float:
    """10 log10(255^2 / MSE) over all pixels and channels; identical images give inf."""
    a, b = _pair(pred, truth)
    mse = float(np.mean(np.square(a - b)))
    return math.inf if mse == 0.0 else 10.0 * math.log10(255.0**2 / mse)


def _ssim_channel(a: np.ndarray, b: np.ndarray) -> float:
    c1 = (0.01 * 255) ** 2
    c2 = (0.03 * 255) ** 2
    k = cv2.getGaussianKernel(11, 1.5)
    window = np.outer(k, k.T)

    def filt(x: np.ndarray) -> np.ndarray:
        return cv2.filter2D(x, -1, window)[5:-5, 5:-5]  # 'valid' region of the 11x11 window

    mu1, mu2 = filt(a), filt(b)
    s11 = filt(a * a) - mu1 * mu1
    s22 = filt(b * b) - mu2 * mu2
    s12 = filt(a * b) - mu1 * mu2
    num = (2 * mu1 * mu2 + c1) * (2 * s12 + c2)
    den = (mu1 * mu1 + mu2 * mu2 + c1) * (s11 + s22 + c2)
    return float(np.mean(num / den))


def ssim(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean over R, G, B of SSIM with an 11x11 Gaussian window (sigma 1.5) on 0..255 values."""
    a, b = _pair(pred, truth)
    if min(a.shape[:2]) < 11:
        raise ValueError(f"SSIM needs images of at least 11x11 pixels, got {a.shape[1]}x{a.shape[0]}")
    return float(np.mean([_ssim_channel(a[..., c], b[..., c]) for c in range(3)]))


def colourfulness(image: np.ndarray) -> float:
    """sigma_rgyb + 0.3 mu_rgyb with rg = |R - G|, yb = |(R + G) / 2 - B| on 0..255; gray scores 0."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"need an (H, W, 3) image, got {image.shape}")
    r, g, b = (image[..., c].astype(np.float64) for c in range(3))
    rg = np.abs(r - g)
    yb = np.abs(0.5 * (r + g) - b)
    std_root = math.sqrt(float(np.std(rg)) ** 2 + float(np.std(yb)) ** 2)
    mean_root = math.sqrt(float(np.mean(rg)) ** 2 + float(np.mean(yb)) ** 2)
    return std_root + 0.3 * mean_root


def gray_twin(image: np.ndarray, matrix: Matrix) -> np.ndarray:
    """The "do nothing" baseline of a colour frame: its luma in all three channels (chroma neutral)."""
    rgb = torch.from_numpy(image).permute(2, 0, 1).double()
    y = luma_of(rgb, matrix)[0].round().clamp(0, 255).to(torch.uint8).numpy()
    return np.repeat(y[..., None], 3, axis=2)
