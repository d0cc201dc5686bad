"""Temporal chroma smoothing on generated scenes with known colours."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from videocolor.color import MATRICES, chroma_of, luma_of, merge_chroma
from videocolor.config import ConfigError, config_from_dict
from videocolor.metrics import cdc, psnr, warping_error
from videocolor.temporal import ChromaSmoother, SceneCutDetector, SmoothingConfig, SmoothItem
from videocolor.temporal.cuts import luma_histogram
from videocolor.temporal.flow import resize

BT601 = MATRICES["bt601"]
H, W = 72, 96


def _texture(seed: int, lo: float, hi: float, h: int = H, w: int = W) -> np.ndarray:
    """Smooth random texture in [lo, hi], float32 (h, w): gives optical flow something to track."""
    rng = np.random.default_rng(seed)
    t = cv2.GaussianBlur(rng.uniform(0, 1, (h, w)).astype(np.float32), (0, 0), 2.0)
    t = (t - t.min()) / (t.max() - t.min())
    return (lo + (hi - lo) * t).astype(np.float32)


def _rgb(luma: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """uint8 (h, w, 3) frame from luma (h, w) and chroma (2, h, w)."""
    rgb = merge_chroma(torch.from_numpy(luma)[None], torch.from_numpy(chroma), BT601)
    return (rgb.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)


def _split(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 luma (h, w) and chroma (2, h, w) of a float RGB frame (h, w, 3) in [0, 1]."""
    t = torch.from_numpy(rgb).permute(2, 0, 1)
    return luma_of(t, BT601)[0].numpy(), chroma_of(t, BT601).numpy()


def _smooth(luma: list[np.ndarray], chroma: list[np.ndarray], **cfg: object) -> list[SmoothItem]:
    pairs = enumerate(zip(luma, chroma, strict=True))
    items = [SmoothItem(i, y, c.astype(np.float32), {}) for i, (y, c) in pairs]
    return list(ChromaSmoother(SmoothingConfig(**cfg)).process(items))  # type: ignore[arg-type]


def _static_scene() -> tuple[np.ndarray, np.ndarray]:
    """A textured scene with a red-ish left half, a blue-ish right half and a green disc."""
    y = _texture(0, 0.3, 0.7)
    c = np.zeros((2, H, W), np.float32)
    c[0, :, : W // 2], c[1, :, : W // 2] = -0.05, 0.12
    c[0, :, W // 2 :], c[1, :, W // 2 :] = 0.12, -0.04
    disc = np.hypot(*np.mgrid[:H, :W] - np.array([H / 2, W / 2])[:, None, None]) < 15
    c[0][disc], c[1][disc] = -0.1, -0.1
    return y, c


@pytest.mark.parametrize("backward", [False, True])
def test_static_flicker_cdc_and_warping_error_halved_psnr_kept(backward: bool) -> None:
    """(a) Predicted chroma flickers (a random per-frame tint) over a static scene."""
    y, truth_c = _static_scene()
    rng = np.random.default_rng(5)
    n = 24
    preds = [truth_c + rng.normal(0, 0.025, (2, 1, 1)).astype(np.float32) for _ in range(n)]
    out = _smooth([y] * n, preds, backward_pass=backward, window=12)

    truth = _rgb(y, truth_c)
    gray = [(y * 255 + 0.5).astype(np.uint8)] * n
    raw_rgb = [_rgb(y, c) for c in preds]
    out_rgb = [_rgb(it.luma, it.chroma) for it in out]
    cdc_raw, cdc_out = cdc(raw_rgb), cdc(out_rgb)
    we_raw, we_out = warping_error(raw_rgb, gray), warping_error(out_rgb, gray)
    psnr_raw = np.mean([psnr(f, truth) for f in raw_rgb])
    psnr_out = np.mean([psnr(f, truth) for f in out_rgb])
    assert cdc_out <= 0.5 * cdc_raw, (cdc_raw, cdc_out)
    assert we_out <= 0.5 * we_raw, (we_raw, we_out)
    assert psnr_out >= psnr_raw - 0.1, (psnr_raw, psnr_out)


def _moving_scene(n: int, step: int) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """A textured red square moving right by ``step`` px per frame over a textured blue background."""
    bg_y, obj_y = _texture(1, 0.2, 0.5), _texture(2, 0.55, 0.85, 20, 20)
    lumas, chromas, masks = [], [], []
    for t in range(n):
        y = bg_y.copy()
        c = np.empty((2, H, W), np.float32)
        c[0], c[1] = 0.15, -0.05  # blue-ish background
        m = np.zeros((H, W), bool)
        x0 = 10 + step * t
        m[26:46, x0 : x0 + 20] = True
        y[m] = obj_y.ravel()
        c[0][m], c[1][m] = -0.1, 0.25  # red object
        lumas.append(y)
        chromas.append(c)
        masks.append(m)
    return lumas, chromas, masks


@pytest.mark.parametrize("cfg", [{"mode": "flow"}, {"mode": "flow", "flow_max_side": 48}, {"mode": "ema"}])
def test_moving_object_leaves_no_trail(cfg: dict[str, object]) -> None:
    """(b) A red square moves 3 px/frame over a blue background; the prediction is the truth plus a
    flickering tint (std 0.025). Bound: where the square was in the last 3 frames but no longer is, the
    output's mean |chroma error| per frame exceeds the raw prediction's there by at most 0.02, and no pixel
    there is more than 0.1 off; a trail would carry the square's colour, 0.35 away in Cb/Cr."""
    n, step = 16, 3
    lumas, truths, masks = _moving_scene(n, step)
    rng = np.random.default_rng(1)
    preds = [c + rng.normal(0, 0.025, (2, 1, 1)).astype(np.float32) for c in truths]
    out = _smooth(lumas, preds, **cfg)
    worst = 0.0
    for t in range(3, n):
        vacated = (masks[t - 1] | masks[t - 2] | masks[t - 3]) & ~masks[t]
        err = np.abs(out[t].chroma - truths[t]).max(axis=0)[vacated]
        raw = np.abs(preds[t] - truths[t]).max(axis=0)[vacated]
        assert err.mean() <= raw.mean() + 0.02, (t, err.mean(), raw.mean())
        worst = max(worst, float(err.max()))
    assert worst <= 0.1


@pytest.mark.parametrize("backward", [False, True])
def test_hard_cut_carries_no_colour_across(backward: bool) -> None:
    """(c) Shot 1 (dark, red) cuts to shot 2 (bright, green): each shot comes out exactly as it does when
    smoothed on its own, so no colour crosses the cut (either way, with the backward pass)."""
    y1, y2 = _texture(3, 0.1, 0.45), _texture(4, 0.5, 0.9)
    red = np.stack([np.full((H, W), -0.1), np.full((H, W), 0.3)]).astype(np.float32)
    green = np.stack([np.full((H, W), -0.2), np.full((H, W), -0.2)]).astype(np.float32)
    rng = np.random.default_rng(6)
    preds = [(red if t < 6 else green) + rng.normal(0, 0.02, (2, 1, 1)).astype(np.float32) for t in range(12)]
    out = _smooth([y1] * 6 + [y2] * 6, preds, backward_pass=backward)
    alone = _smooth([y1] * 6, preds[:6], backward_pass=backward) + _smooth(
        [y2] * 6, preds[6:], backward_pass=backward
    )
    assert out[6].info["smoothing"]["cut"]
    for a, b in zip(out, alone, strict=True):
        assert np.array_equal(a.chroma, b.chroma)
    assert np.array_equal(out[6].chroma, preds[6]) != backward  # forward only: the prediction itself
    assert not np.array_equal(out[5].chroma, preds[5])  # shot 1 was smoothed


@pytest.mark.parametrize(
    "cfg", [{}, {"backward_pass": False}, {"window": 4}, {"mode": "ema"}, {"mode": "none"}]
)
def test_luma_untouched_order_and_count_kept(cfg: dict[str, object]) -> None:
    """(d) The output luma is the input luma, bit for bit; items come out in order, one per input."""
    lumas, chromas, _ = _moving_scene(11, 2)
    originals = [y.copy() for y in lumas]
    out = _smooth(lumas, chromas, **cfg)
    assert [it.index for it in out] == list(range(11))
    for it, y in zip(out, originals, strict=True):
        assert np.array_equal(it.luma, y)
        assert it.chroma.dtype == np.float32 and it.chroma.shape == (2, H, W)


@pytest.mark.parametrize(
    ("backward", "expected"), [(False, [0.0, 0.1 / 1.5, 0.25 / 1.75]), (True, [0.1 / 1.75, 0.1, 0.25 / 1.75])]
)
def test_filter_weights_by_hand(backward: bool, expected: list[float]) -> None:
    """A static scene (full confidence), strength 0.5, chroma 0, 0.1, 0.2 in three frames. Forward, the
    history counts 0.5 x its weight: (0.1 + 0.5 * 0) / 1.5, then (0.2 + 0.5 * 1.5 * that) / 1.75. With the
    backward pass each frame sees a symmetric window: the middle one (0.5 * 0 + 0.1 + 0.5 * 0.2) / 2."""
    y = _texture(3, 0.3, 0.7)
    preds = [np.full((2, H, W), v, np.float32) for v in (0.0, 0.1, 0.2)]
    out = _smooth([y] * 3, preds, mode="ema", strength=0.5, backward_pass=backward)
    assert [float(o.chroma.mean()) for o in out] == pytest.approx(expected, abs=1e-6)
    assert all(float(np.ptp(o.chroma)) < 1e-6 for o in out)


@pytest.mark.parametrize("backward", [False, True])
def test_no_frames_in_none_out(backward: bool) -> None:
    """An empty time range hands the smoother nothing: it yields nothing (the backward pass too)."""
    assert _smooth([], [], backward_pass=backward) == []


def test_chroma_plane_smaller_than_flow_size_and_odd_sizes() -> None:
    """A 1080p-like aspect at a small, odd chroma-plane size goes through the reduced-resolution path."""
    y = _texture(7, 0.2, 0.8, 45, 81)
    c = np.zeros((2, 45, 81), np.float32)
    out = _smooth([y] * 3, [c + 0.01 * t for t in range(3)], flow_max_side=32)
    assert [o.chroma.shape for o in out] == [(2, 45, 81)] * 3


def test_scene_cut_detector_flags_only_the_cut() -> None:
    det = SceneCutDetector(0.4)
    a, b = _texture(8, 0.05, 0.4), _texture(9, 0.6, 0.95)
    flags = [det.update(f) for f in [a, a, np.roll(a, 5, axis=1), b, b]]
    assert flags == [False, False, False, True, False]


def test_luma_histogram_interpolates_between_bin_centres() -> None:
    """4 bins over [0, 1] have centres 0.125, 0.375, 0.625, 0.875: 0.25 lies halfway between the first
    two, 0.375 on the second, and the ends stay in the end bins."""
    hist = luma_histogram(np.array([[0.25, 0.375, 0.0, 1.0]], np.float32), bins=4)
    assert hist.tolist() == pytest.approx([0.125 + 0.25, 0.125 + 0.25, 0.0, 0.25])
    # With the mean as the offset, a level shift leaves the histogram as it was.
    y = np.array([[0.2, 0.3, 0.45]], np.float32)
    assert luma_histogram(y, 4, float(y.mean())) == pytest.approx(
        luma_histogram(y + 0.1, 4, float(y.mean()) + 0.1)
    )


def test_fade_of_a_flat_scene_is_not_a_cut() -> None:
    """A flat background (90 % of the frame) fading up 0.03 a frame, as a title card does: its level
    crosses a histogram bin every frame, yet nothing is a cut; a jump to another level is one."""
    y = np.full((H, W), 0.1, np.float32)
    y[20:40, 30:60] = _texture(10, 0.6, 0.9, 20, 30)
    det = SceneCutDetector(0.4)
    assert not any(det.update(y + 0.03 * t) for t in range(15))
    assert det.update(y + 0.03 * 14 + 0.25)


def test_config_from_toml_table_rejects_unknown_and_bad_values() -> None:
    cfg = config_from_dict(SmoothingConfig, {"mode": "ema", "strength": 0.5})
    assert cfg == SmoothingConfig(mode="ema", strength=0.5)
    with pytest.raises(ConfigError):
        config_from_dict(SmoothingConfig, {"strenght": 0.5})
    with pytest.raises(ConfigError):
        config_from_dict(SmoothingConfig, {"mode": "median"})
    with pytest.raises(ConfigError):
        config_from_dict(SmoothingConfig, {"strength": 1.0})


@pytest.mark.parametrize(("shape", "size"), [((6, 9), (2, 3)), ((37, 61), (9, 16))])
def test_resize_shrinks_like_an_area_filter(shape: tuple[int, int], size: tuple[int, int]) -> None:
    """A whole factor (3) and another (4.1 x 3.8, through the bilinear step): each output pixel is the
    mean over its footprint, which for a plane a + bx + cy is the plane at the footprint's centre,
    (j + 0.5) * ratio - 0.5 in source pixel coordinates."""
    (ih, iw), (h, w) = shape, size
    ys, xs = np.mgrid[0:ih, 0:iw].astype(np.float32)
    out = resize(0.25 + 0.01 * xs - 0.02 * ys, size)
    cy = (np.arange(h, dtype=np.float32)[:, None] + 0.5) * ih / h - 0.5
    cx = (np.arange(w, dtype=np.float32)[None, :] + 0.5) * iw / w - 0.5
    np.testing.assert_allclose(out, 0.25 + 0.01 * cx - 0.02 * cy, atol=1e-5)
    blocks = resize(np.kron(np.eye(2, 3, dtype=np.float32), np.ones((3, 3), np.float32)), (2, 3))
    np.testing.assert_array_equal(blocks, np.eye(2, 3))
