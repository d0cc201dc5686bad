import math

import numpy as np
import pytest
import torch

from videocolor.color import (
    MATRICES,
    analog_to_code,
    chroma_of,
    code_to_analog,
    fit_chroma_to_gamut,
    luma_of,
    luma_to_model_input,
    merge_chroma,
    model_output_to_rgb,
    rgb_to_ycbcr,
    ycbcr_to_rgb,
)


def _px(r: float, g: float, b: float) -> torch.Tensor:
    return torch.tensor([r, g, b]).view(3, 1, 1)


@pytest.mark.parametrize("name", sorted(MATRICES))
def test_white_black_gray_have_no_chroma(name: str) -> None:
    m = MATRICES[name]
    for v in (0.0, 0.37, 1.0):
        ycc = rgb_to_ycbcr(_px(v, v, v), m)
        assert ycc[0].item() == pytest.approx(v)
        assert ycc[1:].abs().max().item() < 1e-7


def test_bt601_primaries_by_hand() -> None:
    m = MATRICES["bt601"]
    # Pure red: Y = 0.299, Cr = (1 - 0.299) / (2 * 0.701) = 0.5, Cb = -0.299 / (2 * 0.886).
    y, cb, cr = rgb_to_ycbcr(_px(1, 0, 0), m).flatten().tolist()
    assert y == pytest.approx(0.299)
    assert cr == pytest.approx(0.5)
    assert cb == pytest.approx(-0.299 / 1.772)
    # Pure blue reaches Cb = +0.5 in every matrix.
    assert chroma_of(_px(0, 0, 1), m)[0].item() == pytest.approx(0.5)


def test_bt709_luma_weights() -> None:
    assert luma_of(_px(0, 1, 0), MATRICES["bt709"]).item() == pytest.approx(0.7152)


@pytest.mark.parametrize("name", sorted(MATRICES))
def test_round_trip(name: str) -> None:
    rgb = torch.rand(2, 3, 5, 7, dtype=torch.float64)
    back = ycbcr_to_rgb(rgb_to_ycbcr(rgb, MATRICES[name]), MATRICES[name])
    assert torch.allclose(back, rgb, atol=1e-12)


def test_merge_keeps_given_luma_inside_gamut() -> None:
    m = MATRICES["bt709"]
    rgb = torch.rand(1, 3, 4, 4, dtype=torch.float64) * 0.5 + 0.25
    other = torch.rand(1, 3, 4, 4, dtype=torch.float64) * 0.5 + 0.25
    merged = merge_chroma(luma_of(rgb, m), chroma_of(other, m), m)
    assert torch.allclose(luma_of(merged, m), luma_of(rgb, m), atol=1e-12)
    assert torch.allclose(chroma_of(merged, m), chroma_of(other, m), atol=1e-12)


def test_merge_clamps() -> None:
    m = MATRICES["bt601"]
    out = merge_chroma(torch.ones(1, 1, 1), torch.full((2, 1, 1), 0.5), m)
    assert out.min().item() >= 0.0 and out.max().item() <= 1.0


def test_code_values_limited_and_full() -> None:
    y = torch.tensor([16, 235, 126])
    assert code_to_analog(y, bits=8, value_range="limited").tolist() == pytest.approx([0, 1, 110 / 219])
    c = torch.tensor([16, 128, 240])
    assert code_to_analog(c, bits=8, value_range="limited", chroma=True).tolist() == pytest.approx(
        [-0.5, 0, 0.5]
    )
    assert code_to_analog(torch.tensor([64, 940]), bits=10, value_range="limited").tolist() == [0, 1]
    assert code_to_analog(torch.tensor([0, 255]), bits=8, value_range="full").tolist() == [0, 1]
    assert code_to_analog(torch.tensor([128]), bits=8, value_range="full", chroma=True).item() == 0


@pytest.mark.parametrize(("bits", "rng"), [(8, "limited"), (8, "full"), (10, "limited"), (10, "full")])
def test_code_round_trip(bits: int, rng: str) -> None:
    codes = torch.arange(0, 1 << bits)
    for chroma in (False, True):
        back = analog_to_code(
            code_to_analog(codes, bits=bits, value_range=rng, chroma=chroma),
            bits=bits,
            value_range=rng,
            chroma=chroma,
        )
        assert torch.equal(back, codes.to(torch.int32))


def test_model_space_round_trip() -> None:
    luma = torch.rand(2, 1, 3, 3)
    x = luma_to_model_input(luma)
    assert x.shape == (2, 3, 3, 3)
    # The normalised gray decodes back to the same gray in every channel.
    rgb = model_output_to_rgb(x)
    assert torch.allclose(rgb, luma.expand(-1, 3, -1, -1), atol=1e-6)
    assert math.isclose(x[0, 0, 0, 0].item(), (luma[0, 0, 0, 0].item() - 0.485) / 0.229, rel_tol=1e-5)


def test_bad_shapes_name_the_shape() -> None:
    with pytest.raises(ValueError, match=r"\(4, 4\)"):
        luma_of(torch.zeros(4, 4), MATRICES["bt601"])


def test_fit_chroma_to_gamut_scales_only_what_leaves_rgb() -> None:
    luma = torch.tensor([0.5, 0.5]).view(1, 1, 1, 2)
    chroma = torch.tensor([[0.0, 0.0], [0.5, 0.1]]).view(1, 2, 1, 2)  # Cr 0.5 at Y' 0.5: R' = 1.201 in BT.601
    fitted = fit_chroma_to_gamut(luma, chroma, MATRICES["bt601"])
    assert fitted[0, 1, 0, 0].item() == pytest.approx(0.5 * 0.5 / (2 * (1 - 0.299) * 0.5))  # R' lands on 1
    assert fitted[0, 1, 0, 1].item() == pytest.approx(0.1)  # in gamut: untouched


def test_code_to_analog_takes_decoder_dtypes_and_leaves_its_input() -> None:
    u8 = torch.tensor([16, 235], dtype=torch.uint8)
    assert code_to_analog(u8, bits=8, value_range="limited").tolist() == [0.0, 1.0]
    u16 = torch.from_numpy(np.array([64, 940], dtype=np.uint16))  # what PyAV hands out for 10-bit planes
    assert code_to_analog(u16, bits=10, value_range="limited").tolist() == [0.0, 1.0]
    floats = torch.tensor([16.0, 235.0])
    code_to_analog(floats, bits=8, value_range="limited")
    assert floats.tolist() == [16.0, 235.0]


def test_fit_chroma_to_gamut_at_black_and_white() -> None:
    m = MATRICES["bt601"]
    # Y' = 1: any Cr > 0 lifts R' above 1 (scale 0); no chroma stays none (no 0/0).
    # Y' = 0: Cr < 0 pulls R' below 0 (scale 0); Cr > 0 lowers G' and B' below 0 too (scale 0).
    luma = torch.tensor([1.0, 1.0, 0.0, 0.0]).view(1, 1, 1, 4)
    chroma = torch.tensor([[0.0, 0.0, 0.0, 0.0], [0.2, 0.0, -0.2, 0.2]]).view(1, 2, 1, 4)
    before = chroma.clone(), luma.clone()
    fitted = fit_chroma_to_gamut(luma, chroma, m)
    assert fitted.abs().max().item() == 0.0 and not fitted.isnan().any()
    assert torch.equal(chroma, before[0]) and torch.equal(luma, before[1])


def test_fit_chroma_to_gamut_broadcasts_one_luma_over_a_batch() -> None:
    m = MATRICES["bt709"]
    luma = torch.rand(1, 1, 3, 3)
    chroma = torch.rand(4, 2, 3, 3) - 0.5
    fitted = fit_chroma_to_gamut(luma, chroma, m)
    each = torch.cat([fit_chroma_to_gamut(luma, c[None], m) for c in chroma])
    assert fitted.shape == (4, 2, 3, 3) and torch.equal(fitted, each)
