"""Building blocks of DeOldify's U-Net, with its parameter names and op order (ARCHITECTURE.md §2)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "ConvUnit",
    "FinalUp",
    "PixelShuffleUp",
    "ResBlock",
    "SelfAttention",
    "SigmoidRange",
    "WeightNormConv2d",
    "blur",
    "conv",
]


def icnr_(weight: torch.Tensor, scale: int = 2) -> None:
    """ICNR init: the sub-pixel conv starts as nearest upsampling of one kaiming conv (no checkerboard)."""
    nf, ni, kh, kw = weight.shape
    sub = nn.init.kaiming_normal_(torch.empty(nf // scale**2, ni, kh, kw))
    with torch.no_grad():
        weight.copy_(sub.repeat_interleave(scale**2, dim=0))


def conv(
    ni: int,
    nf: int,
    ks: int = 3,
    *,
    stride: int = 1,
    padding: int | None = None,
    bias: bool,
    spectral: bool,
    icnr: bool = False,
) -> nn.Conv2d:
    """A 2-D conv, spectral-normed (torch's hook form: keys weight_orig/_u/_v, as in DeOldify's files)."""
    layer = nn.Conv2d(
        ni, nf, ks, stride=stride, padding=(ks - 1) // 2 if padding is None else padding, bias=bias
    )
    if icnr:
        icnr_(layer.weight)
    else:
        nn.init.kaiming_normal_(layer.weight)
    if bias:
        nn.init.zeros_(layer.bias)
    return nn.utils.spectral_norm(layer) if spectral else layer


def blur(x: torch.Tensor) -> torch.Tensor:
    """Replicate-pad left/top by one, then 2x2 average with stride 1 (fastai's anti-checkerboard blur)."""
    return F.avg_pool2d(F.pad(x, (1, 0, 1, 0), mode="replicate"), 2, stride=1)


class ConvUnit(nn.Sequential):
    """conv (no bias) -> ReLU -> BatchNorm, optionally followed by self-attention (keys .0, .2, .3)."""

    def __init__(self, ni: int, nf: int, *, spectral: bool, attention: bool = False) -> None:
        layers: list[nn.Module] = [
            conv(ni, nf, 3, bias=False, spectral=spectral),
            nn.ReLU(True),
            nn.BatchNorm2d(nf),
        ]
        if attention:
            layers.append(SelfAttention(nf, spectral=spectral))
        super().__init__(*layers)


class SelfAttention(nn.Module):
    """SAGAN attention as fastai wrote it: no sqrt(d) scaling, softmax over the query index (dim 1)."""

    def __init__(self, channels: int, *, spectral: bool) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1))
        self.query = self._conv1d(channels, channels // 8, spectral)
        self.key = self._conv1d(channels, channels // 8, spectral)
        self.value = self._conv1d(channels, channels, spectral)

    @staticmethod
    def _conv1d(ni: int, nf: int, spectral: bool) -> nn.Conv1d:
        layer = nn.Conv1d(ni, nf, 1, bias=False)
        nn.init.kaiming_normal_(layer.weight)
        return nn.utils.spectral_norm(layer) if spectral else layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape
        flat = x.reshape(size[0], size[1], -1)
        f, g, h = self.query(flat), self.key(flat), self.value(flat)
        # permute().contiguous() as fastai wrote it keeps the bmm on the same kernel (bit-exact outputs)
        beta = F.softmax(torch.bmm(f.permute(0, 2, 1).contiguous(), g), dim=1)
        return (self.gamma * torch.bmm(h, beta) + flat).view(size)


class PixelShuffleUp(nn.Module):
    """DeOldify's upsampler: 1x1 conv (no bias) -> BN -> ReLU -> PixelShuffle(2) -> blur."""

    def __init__(self, ni: int, nf: int, *, spectral: bool, blur: bool) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            conv(ni, nf * 4, 1, bias=False, spectral=spectral, icnr=True),
            nn.BatchNorm2d(nf * 4),
            nn.ReLU(True),
        )
        self.blur = blur

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pixel_shuffle(self.conv(x), 2)
        return blur(x) if self.blur else x


class WeightNormConv2d(nn.Conv2d):
    """Conv2d with the legacy weight-norm parameters weight_g/weight_v (torch's deprecated hook layout)."""

    def __init__(self, ni: int, nf: int, ks: int = 1) -> None:
        super().__init__(ni, nf, ks, padding=(ks - 1) // 2, bias=True)
        icnr_(self.weight)
        nn.init.zeros_(self.bias)
        v = self.weight.detach().clone()
        del self.weight
        self.weight_g = nn.Parameter(v.flatten(1).norm(dim=1).view(-1, 1, 1, 1))
        self.weight_v = nn.Parameter(v)

    def folded_weight(self) -> torch.Tensor:
        return torch._weight_norm(self.weight_v, self.weight_g, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.folded_weight(), self.bias)


class FinalUp(nn.Module):
    """fastai's PixelShuffle_ICNR as DeOldify ran it: WN 1x1 conv (bias) -> ReLU -> shuffle -> blur."""

    def __init__(self, channels: int, *, blur: bool) -> None:
        super().__init__()
        self.conv = nn.Sequential(WeightNormConv2d(channels, channels * 4))
        self.blur = blur

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pixel_shuffle(F.relu(self.conv(x)), 2)
        return blur(x) if self.blur else x


class ResBlock(nn.Module):
    """x + ReLU(conv(ReLU(conv(x)))): two biased 3x3 convs, no BatchNorm (keys .layers.0.0, .layers.1.0)."""

    def __init__(self, channels: int, *, spectral: bool) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            *(
                nn.Sequential(conv(channels, channels, 3, bias=True, spectral=spectral), nn.ReLU(True))
                for _ in range(2)
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.layers(x)


class SigmoidRange(nn.Module):
    def __init__(self, low: float, high: float) -> None:
        super().__init__()
        self.low, self.high = low, high

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x) * (self.high - self.low) + self.low
