"""Metrics against hand-computed values on tiny inputs (definitions: ../shared/METRICS.md)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from skimage.metrics import structural_similarity

from videocolor.color import MATRICES
from videocolor.metrics import (
    cdc,
    colourfulness,
    gray_flow,
    gray_twin,
    js_divergence,
    psnr,
    ssim,
    warping_error,
    warping_error_pair,
)


def _texture(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.uniform(0, 255, (h, w)).astype(np.float32), (0, 0), 1.5)
    img = (img - img.min()) / (img.max() - img.min())
    return (20 + 180 * img).astype(np.uint8)  # 20..200: room for a +10 offset without clipping


def test_psnr_identical_is_inf_and_known_mse() -> None:
    a = np.full((4, 5, 3), 100, np.uint8)
    assert psnr(a, a) == math.inf
    b = a + 5  # MSE 25
    assert psnr(b, a) == pytest.approx(10 * math.log10(255**2 / 25))


def test_ssim_identical_is_one_and_matches_scikit_image() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (24, 30, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-30, 30, a.shape), 0, 255).astype(np.uint8)
    assert ssim(a, a) == pytest.approx(1.0)
    # scikit-image's Gaussian SSIM (truncate 3.5 -> 11 taps) cropped the same way is an independent check
    ref = structural_similarity(
        a, b, channel_axis=2, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255
    )
    assert ssim(a, b) == pytest.approx(ref, abs=1e-6)
    with pytest.raises(ValueError):
        ssim(a[:8], b[:8])


def test_colourfulness_gray_zero_and_known_value() -> None:
    gray = np.repeat(np.arange(60, dtype=np.uint8).reshape(6, 10, 1), 3, axis=2)
    assert colourfulness(gray) == 0.0
    img = np.zeros((2, 2, 3), np.uint8)
    img[0, :, 0] = 255  # half pure red, half black: rg in {255, 0}, yb in {127.5, 0}
    root = math.hypot(127.5, 63.75)  # both std and mean of (rg, yb) are half the nonzero values
    assert colourfulness(img) == pytest.approx(root + 0.3 * root)


def test_gray_twin_has_zero_colourfulness_and_keeps_gray() -> None:
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    twin = gray_twin(img, MATRICES["bt601"])
    assert colourfulness(twin) == 0.0
    r, g, b = (img[..., c].astype(float) for c in range(3))
    assert np.abs(twin[..., 0] - (0.299 * r + 0.587 * g + 0.114 * b)).max() <= 0.5 + 1e-9


def test_js_divergence_known_values() -> None:
    p = np.array([1.0, 0.0])
    q = np.array([0.0, 1.0])
    assert js_divergence(p, q) == pytest.approx(math.log(2))
    assert js_divergence(p, p) == 0.0


def test_cdc_static_zero_and_hand_computed() -> None:
    rng = np.random.default_rng(3)
    f = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    assert cdc([f] * 6) == 0.0
    black, white = np.zeros((2, 3, 3), np.uint8), np.full((2, 3, 3), 255, np.uint8)
    # gap 1: every pair differs (JS = ln 2); gaps 2 and 4: every pair is equal
    assert cdc([black, white, black, white, black]) == pytest.approx(math.log(2) / 3)
    assert math.isnan(cdc([black, white, black, white]))  # no pair at gap 4, as in TCVC's code


def test_warping_error_known_shift_with_given_flow() -> None:
    prev_gray = _texture(32, 40)
    prev = np.repeat(prev_gray[..., None], 3, axis=2)
    cur = np.roll(prev, 2, axis=1) + 10  # content moves 2 px right and gets 10 brighter
    flow = np.zeros((32, 40, 2), np.float32)
    flow[..., 0] = 2.0
    valid = np.ones((32, 40), bool)
    valid[:, -2:] = False  # x + 2 falls outside the frame there
    assert warping_error_pair(prev, cur, flow, valid) == pytest.approx((10 / 255) ** 2, rel=1e-5)
    assert warping_error_pair(prev, prev, np.zeros_like(flow), valid) == 0.0


def test_warping_error_with_dis_flow_from_gray() -> None:
    g0 = _texture(64, 80, seed=4)
    frames_gray = [np.roll(g0, 2 * t, axis=1) for t in range(3)]
    colour = [np.stack([g, g // 2 + 60, 255 - g], axis=2) for g in frames_gray]
    flow, valid = gray_flow(frames_gray[0], frames_gray[1])
    inner = (slice(8, -8), slice(8, -8))
    assert np.abs(flow[inner][..., 0] - 2.0).mean() < 0.1
    assert valid[inner].mean() > 0.9
    assert warping_error(colour, frames_gray) < 1e-4  # colour that moves with the content: no error
    brighter = [colour[0], colour[1] + 10, colour[2] + 20]  # +10 per step
    assert warping_error(brighter, frames_gray) == pytest.approx((10 / 255) ** 2, rel=0.1)
