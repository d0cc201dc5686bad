"""Y'CbCr <-> R'G'B' with a named matrix and range, as pure tensor functions.

Analog values throughout: Y' in [0, 1], Cb/Cr in [-0.5, 0.5], R'G'B' in [0, 1]. Code values (what a
decoder hands out) are converted at the edges with :func:`code_to_analog` / :func:`analog_to_code`,
using the stream's own bit depth and range (limited: Y' 16..235, C 16..240 scaled by 2**(bits-8)).
Shapes are ``(*, 3, H, W)`` for colour and ``(*, 1, H, W)`` / ``(*, 2, H, W)`` for luma / chroma.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

__all__ = [
    "MATRICES",
    "Matrix",
    "Range",
    "analog_to_code",
    "chroma_of",
    "code_to_analog",
    "fit_chroma_to_gamut",
    "luma_of",
    "merge_chroma",
    "rgb_to_ycbcr",
    "ycbcr_to_rgb",
]

Range = Literal["limited", "full"]


@dataclass(frozen=True)
class Matrix:
    """Luma weights of a colour matrix (ITU-R BT.601 / BT.709 / BT.2020 non-constant)."""

    name: str
    kr: float
    kb: float

    @property
    def kg(self) -> float:
        return 1.0 - self.kr - self.kb


MATRICES: dict[str, Matrix] = {
    "bt601": Matrix("bt601", 0.299, 0.114),
    "bt709": Matrix("bt709", 0.2126, 0.0722),
    "bt2020": Matrix("bt2020", 0.2627, 0.0593),
}


def _check(x: torch.Tensor, channels: int, what: str) -> None:
    if x.dim() < 3 or x.shape[-3] != channels:
        raise ValueError(f"{what} must have shape (*, {channels}, H, W), got {tuple(x.shape)}")


def luma_of(rgb: torch.Tensor, matrix: Matrix) -> torch.Tensor:
    """Y' = kr R' + kg G' + kb B', shape (*, 1, H, W)."""
    _check(rgb, 3, "rgb")
    r, g, b = rgb.unbind(-3)
    return (matrix.kr * r + matrix.kg * g + matrix.kb * b).unsqueeze(-3)


def chroma_of(rgb: torch.Tensor, matrix: Matrix) -> torch.Tensor:
    """(Cb, Cr) in [-0.5, 0.5], shape (*, 2, H, W)."""
    y = luma_of(rgb, matrix).squeeze(-3)
    r, _, b = rgb.unbind(-3)
    cb = (b - y) / (2.0 * (1.0 - matrix.kb))
    cr = (r - y) / (2.0 * (1.0 - matrix.kr))
    return torch.stack((cb, cr), dim=-3)


def rgb_to_ycbcr(rgb: torch.Tensor, matrix: Matrix) -> torch.Tensor:
    """R'G'B' -> Y'CbCr, shape (*, 3, H, W)."""
    return torch.cat((luma_of(rgb, matrix), chroma_of(rgb, matrix)), dim=-3)


def ycbcr_to_rgb(ycbcr: torch.Tensor, matrix: Matrix) -> torch.Tensor:
    """Y'CbCr -> R'G'B' (not clamped: out-of-gamut values are the caller's choice)."""
    _check(ycbcr, 3, "ycbcr")
    y, cb, cr = ycbcr.unbind(-3)
    r = y + 2.0 * (1.0 - matrix.kr) * cr
    b = y + 2.0 * (1.0 - matrix.kb) * cb
    g = (y - matrix.kr * r - matrix.kb * b) / matrix.kg
    return torch.stack((r, g, b), dim=-3)


def merge_chroma(luma: torch.Tensor, chroma: torch.Tensor, matrix: Matrix) -> torch.Tensor:
    """R'G'B' in [0, 1] from a given luma and a (predicted) chroma of the same size."""
    _check(luma, 1, "luma")
    _check(chroma, 2, "chroma")
    return ycbcr_to_rgb(torch.cat((luma, chroma), dim=-3), matrix).clamp(0.0, 1.0)


def _scale(bits: int, value_range: Range) -> tuple[float, float, float, float]:
    """(luma offset, luma span, chroma centre, chroma span) in code values."""
    top = float((1 << bits) - 1)
    if value_range == "full":
        return 0.0, top, float(1 << (bits - 1)), top
    unit = float(1 << (bits - 8))
    return 16.0 * unit, 219.0 * unit, 128.0 * unit, 224.0 * unit


def code_to_analog(
    code: torch.Tensor, *, bits: int, value_range: Range, chroma: bool = False
) -> torch.Tensor:
    """Integer code values of one plane type -> analog float (Y' in [0,1] or C in [-0.5,0.5])."""
    y0, ys, c0, cs = _scale(bits, value_range)
    offset, span = (c0, cs) if chroma else (y0, ys)
    return code.to(torch.float32, copy=True).sub_(offset).div_(span)  # one new frame-sized tensor, not three


def analog_to_code(
    value: torch.Tensor, *, bits: int, value_range: Range, chroma: bool = False
) -> torch.Tensor:
    """Analog float -> rounded, clamped integer code values (int32), the inverse of code_to_analog."""
    y0, ys, c0, cs = _scale(bits, value_range)
    offset, span = (c0, cs) if chroma else (y0, ys)
    return (value * span).add_(offset).round_().clamp_(0, (1 << bits) - 1).to(torch.int32)


def fit_chroma_to_gamut(luma: torch.Tensor, chroma: torch.Tensor, matrix: Matrix) -> torch.Tensor:
    """Scale each pixel's chroma down (never up) just enough that Y'CbCr -> R'G'B' stays in [0, 1], so the
    colour shown keeps the given luma instead of being clipped into another luma and hue.

    R'G'B' = Y' + s * D(Cb, Cr), D linear: the channel with the largest D bounds s by (1 - Y') / D, the one
    with the most negative D by -Y' / D. The D's average to zero (luma is kept), so any chroma has a
    positive and a negative one; |D| is taken as at least 1e-6, which can only scale chroma that small."""
    # In-place steps where a temporary is ours: this runs on every frame at chroma size.
    cb, cr = chroma.unbind(-3)
    dr = 2.0 * (1.0 - matrix.kr) * cr
    db = 2.0 * (1.0 - matrix.kb) * cb
    dg = (dr * (matrix.kr / -matrix.kg)).add_(db, alpha=matrix.kb / -matrix.kg)
    hi = torch.maximum(torch.maximum(dr, dg), db).clamp_min_(1e-6).unsqueeze(-3)
    lo = torch.minimum(torch.minimum(dr, dg), db).clamp_max_(-1e-6).unsqueeze(-3)
    up = (1.0 - luma) / hi  # / not div_: luma may broadcast
    down = (luma / lo).neg_()
    return chroma * torch.minimum(up, down).clamp_(0.0, 1.0)
