import pytest
import torch

from videocolor.color import MATRICES, chroma_of, luma_of, model_output_to_rgb
from videocolor.nets import build_generator
from videocolor.nets.unet import scale_chroma


def test_scale_chroma_by_hand() -> None:
    # A normalised output whose colour is pure red (1, 0, 0): bt601 luma 0.299 everywhere.
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    out = ((torch.tensor([1.0, 0.0, 0.0]).view(3, 1, 1) - mean) / std)[None]
    rgb = model_output_to_rgb(scale_chroma(out, 0.5))[0, :, 0, 0]
    # Halfway between red and its gray (0.299): (0.6495, 0.1495, 0.1495).
    assert rgb.tolist() == pytest.approx([0.6495, 0.1495, 0.1495], abs=1e-5)


@pytest.mark.parametrize("matrix", ["bt601", "bt709"])
def test_generator_gain_scales_chroma_only(matrix: str) -> None:
    torch.manual_seed(0)
    plain = build_generator("tiny").eval()
    half = build_generator("tiny", chroma_gain=0.5).eval()
    half.load_state_dict(plain.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        a, b = model_output_to_rgb(plain(x)), model_output_to_rgb(half(x))
    m = MATRICES[matrix]
    assert torch.allclose(chroma_of(b, m), 0.5 * chroma_of(a, m), atol=1e-5)
    bt601 = MATRICES["bt601"]
    assert torch.allclose(luma_of(b, bt601), luma_of(a, bt601), atol=1e-5)


def test_gain_above_one_stays_in_gamut_by_hand() -> None:
    # Red (0.8, 0.3, 0.3): bt601 luma 0.4495, so R' - Y' = 0.3505 and G' - Y' = B' - Y' = -0.1495.
    # Gain 2 would put R' at 1.15; the largest scale keeping R' <= 1 is (1 - 0.4495) / 0.3505 = 1.5706.
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    out = ((torch.tensor([0.8, 0.3, 0.3]).view(3, 1, 1) - mean) / std)[None]
    rgb = model_output_to_rgb(scale_chroma(out, 2.0))[0, :, 0, 0]
    s = (1 - 0.4495) / 0.3505
    assert rgb.tolist() == pytest.approx([1.0, 0.4495 - s * 0.1495, 0.4495 - s * 0.1495], abs=1e-4)
    small = model_output_to_rgb(scale_chroma(out, 1.2))[0, :, 0, 0]  # in gamut: scaled exactly
    assert small.tolist() == pytest.approx(
        [0.4495 + 1.2 * 0.3505, 0.4495 - 1.2 * 0.1495, 0.4495 - 1.2 * 0.1495], abs=1e-4
    )


def test_knee_gives_half_the_gain_at_its_own_chroma_by_hand() -> None:
    # (0.6, 0.5, 0.4): bt601 luma 0.5185, Cb = -0.1185 / 1.772, Cr = 0.0815 / 1.402, |C| = 0.08861.
    # With the knee at |C| the scale is 1 + (1.5 - 1) / 2 = 1.25: Y' + 1.25 (RGB - Y').
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    out = ((torch.tensor([0.6, 0.5, 0.4]).view(3, 1, 1) - mean) / std)[None]
    rgb = model_output_to_rgb(scale_chroma(out, 1.5, knee=0.08861))[0, :, 0, 0]
    assert rgb.tolist() == pytest.approx([0.620375, 0.495375, 0.370375], abs=1e-4)
    # Well below the knee (0.5) the colour is nearly kept: 1 + 0.5 * 0.007851 / 0.257851 = 1.01522.
    faint = model_output_to_rgb(scale_chroma(out, 1.5, knee=0.5))[0, :, 0, 0]
    assert faint.tolist() == pytest.approx([0.601241, 0.499718, 0.398196], abs=1e-4)


def test_gain_or_knee_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="chroma_gain"):
        build_generator("tiny", chroma_gain=4.5)
    with pytest.raises(ValueError, match="chroma_knee"):
        build_generator("tiny", chroma_knee=-0.1)
