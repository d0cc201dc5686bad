"""One U-Net family built from a config: DeOldify's deep/wide generators and our faster members."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from videocolor.color import MATRICES, chroma_of, fit_chroma_to_gamut, imagenet_stats, luma_of, merge_chroma
from videocolor.nets.encoder import ENCODERS, build_encoder, encoder_forward
from videocolor.nets.layers import ConvUnit, FinalUp, PixelShuffleUp, ResBlock, SigmoidRange, conv

MAX_CHROMA_GAIN = 4.0

__all__ = ["Generator", "GeneratorConfig", "MergeInput", "UnetBlock", "scale_chroma"]


@dataclass(frozen=True)
class GeneratorConfig:
    """Architecture of a generator. Defaults describe DeOldify's artistic net; see the registry for others.

    encoder_stages: how many resnet stages are kept (4 = down to 1/32 like DeOldify, 3 = down to 1/16).
    layout: "deep" = two conv units per decoder block (UnetBlockDeep), "wide" = one (UnetBlockWide).
    decoder_widths: output channels of each decoder block, finest last; () = DeOldify's rule from nf_factor.
    middle_widths: conv units between encoder and decoder; () = DeOldify's (2*C, C) for C encoder channels.
    attention_block: index of the decoder block that ends in self-attention (None: no attention).
    out_stride: resolution of the head relative to the input (1 = DeOldify: final pixel-shuffle to full
        resolution; 2 or 4: the head runs at 1/2 or 1/4 and its output is upsampled bilinearly).
    render_factor: the default render size of weights of this architecture is render_factor * 16.
    chroma_gain: predicted chroma is scaled by this around the output's own luma, kept inside the gamut
        (< 1 trades colourfulness for accuracy, > 1 the reverse; calibrated per set of weights on held-out
        training photos; 1 = DeOldify).
    chroma_knee: 0 = the gain scales all chroma alike; k > 0 = in full only where the prediction is
        saturated (see scale_chroma), so faint colour, what the model hedges with where unsure, stays faint.
    """

    name: str
    encoder: str = "resnet34"
    encoder_stages: int = 4
    layout: str = "deep"
    nf_factor: float = 1.5
    decoder_widths: tuple[int, ...] = ()
    middle_widths: tuple[int, ...] = ()
    attention_block: int | None = 1
    out_stride: int = 1
    spectral_norm: bool = True
    blur: bool = True
    dense_merge: bool = True
    res_block: bool = True
    render_factor: int = 35
    chroma_gain: float = 1.0
    chroma_knee: float = 0.0

    def __post_init__(self) -> None:
        if self.encoder not in ENCODERS:
            raise ValueError(f"unknown encoder {self.encoder!r} (known: {', '.join(ENCODERS)})")
        if not 1 <= self.encoder_stages <= 4:
            raise ValueError(f"encoder_stages must be 1..4, got {self.encoder_stages}")
        if self.layout not in ("deep", "wide"):
            raise ValueError(f"layout must be 'deep' or 'wide', got {self.layout!r}")
        if self.out_stride not in (1, 2, 4):
            raise ValueError(f"out_stride must be 1, 2 or 4, got {self.out_stride}")
        if self.out_stride == 4 and self.encoder_stages < 2:
            raise ValueError("out_stride 4 needs encoder_stages >= 2")
        if self.decoder_widths and len(self.decoder_widths) != self.n_blocks:
            raise ValueError(f"decoder_widths needs {self.n_blocks} entries, got {len(self.decoder_widths)}")
        if self.attention_block is not None and not 0 <= self.attention_block < self.n_blocks:
            raise ValueError(f"attention_block must be in 0..{self.n_blocks - 1} or None")
        if not 0.0 <= self.chroma_gain <= MAX_CHROMA_GAIN:
            raise ValueError(f"chroma_gain must be in 0..{MAX_CHROMA_GAIN:g}, got {self.chroma_gain}")
        if not 0.0 <= self.chroma_knee <= 0.5:
            raise ValueError(f"chroma_knee must be in 0..0.5, got {self.chroma_knee}")
        if self.render_factor < 1:
            raise ValueError(f"render_factor must be >= 1, got {self.render_factor}")

    @property
    def n_blocks(self) -> int:
        """One decoder block per skip level from 1/16 (or the deepest kept) down to max(out_stride, 2)."""
        return self.encoder_stages - (1 if self.out_stride == 4 else 0)


def scale_chroma(out: torch.Tensor, gain: float, knee: float = 0.0) -> torch.Tensor:
    """Scale the chroma of a normalised RGB output by `gain` around its own luma.

    Chroma is linear in R'G'B' and zero for gray, so the scale holds for every matrix; a gain above 1 is
    pulled back per pixel where it would leave the gamut, keeping luma and hue. With `knee` k > 0 a pixel's
    chroma c (bt601 Cb, Cr) is scaled by 1 + (gain - 1) |c|^2 / (|c|^2 + k^2): by gain/2 + 1/2 at |c| = k.
    """
    mean, std = imagenet_stats(out)
    rgb = (out * std + mean).clamp(0.0, 1.0)
    m = MATRICES["bt601"]
    gray = luma_of(rgb, m)
    chroma = chroma_of(rgb, m)
    if knee > 0.0:
        r2 = chroma.square().sum(1, keepdim=True)
        chroma = chroma * (1.0 + (gain - 1.0) * r2 / (r2 + knee * knee))
    else:
        chroma = gain * chroma
    chroma = fit_chroma_to_gamut(gray, chroma, m)
    return (merge_chroma(gray, chroma, m) - mean) / std


class UnetBlock(nn.Module):
    """Upsample x, resize it (nearest) to the skip's size, concat [up, BN(skip)], ReLU, conv units."""

    def __init__(
        self,
        up_in: int,
        skip: int,
        up_out: int,
        out: int,
        *,
        deep: bool,
        attention: bool,
        spectral: bool,
        blur: bool,
    ) -> None:
        super().__init__()
        self.shuf = PixelShuffleUp(up_in, up_out, spectral=spectral, blur=blur)
        self.bn = nn.BatchNorm2d(skip)
        if deep:
            self.conv1 = ConvUnit(up_out + skip, out, spectral=spectral)
            self.conv2 = ConvUnit(out, out, spectral=spectral, attention=attention)
        else:
            self.conv = ConvUnit(up_out + skip, out, spectral=spectral, attention=attention)
        self.deep = deep

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        up = self.shuf(x)
        if up.shape[-2:] != skip.shape[-2:]:
            up = F.interpolate(up, skip.shape[-2:], mode="nearest")
        x = F.relu(torch.cat([up, self.bn(skip)], dim=1))
        return self.conv2(self.conv1(x)) if self.deep else self.conv(x)


class MergeInput(nn.Module):
    """Dense merge: concat [features, model input]; the input is area-resized for a sub-resolution head."""

    def forward(self, x: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != image.shape[-2:]:
            if x.shape[-2] >= image.shape[-2]:  # full resolution: the final shuffle overshot an odd size
                x = F.interpolate(x, image.shape[-2:], mode="nearest")
            else:
                image = F.adaptive_avg_pool2d(image, x.shape[-2:])
        return torch.cat([x, image], dim=1)


def _decoder_plan(config: GeneratorConfig) -> tuple[int, tuple[int, ...], list[int], list[int], list[int]]:
    """Encoder output channels, middle widths, and per block: skip, up-path and output channels."""
    spec = ENCODERS[config.encoder]
    chans = [spec.stem, *spec.stages[: config.encoder_stages]]
    enc_out = chans[-1]
    skips = chans[:-1][::-1][: config.n_blocks]
    middle = config.middle_widths or (2 * enc_out, enc_out)
    x_ch = middle[-1]
    ups, outs = [], []
    for k, skip in enumerate(skips):
        final = k == len(skips) - 1
        if config.layout == "deep":
            up = x_ch // 2
            ni = up + skip
            out = (
                config.decoder_widths[k]
                if config.decoder_widths
                else int((ni // 2 if final else ni) * config.nf_factor)
            )
        else:
            width = int(512 * config.nf_factor)
            out = config.decoder_widths[k] if config.decoder_widths else (width // 2 if final else width) // 2
            up = out
        ups.append(up)
        outs.append(out)
        x_ch = out
    return enc_out, middle, skips, ups, outs


class Generator(nn.Module):
    """(N,3,H,W) ImageNet-normalised gray -> (N,3,H,W) normalised RGB in (-3, 3).

    The children sit in `layers` in DeOldify's order, so DeOldify's state dicts load as they are:
    0 encoder, 1 BN, 2 ReLU, 3 middle, 4.. decoder blocks, then [final up], [merge], [res block], head,
    sigmoid range.
    """

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        self.config = config
        spectral = config.spectral_norm
        enc_out, middle, skips, ups, outs = _decoder_plan(config)
        layers: list[nn.Module] = [
            build_encoder(config.encoder, config.encoder_stages),
            nn.BatchNorm2d(enc_out),
            nn.ReLU(),
            nn.Sequential(
                *(
                    ConvUnit(a, b, spectral=spectral)
                    for a, b in zip((enc_out, *middle[:-1]), middle, strict=True)
                )
            ),
        ]
        x_ch = middle[-1]
        for k, (skip, up, out) in enumerate(zip(skips, ups, outs, strict=True)):
            layers.append(
                UnetBlock(
                    x_ch,
                    skip,
                    up,
                    out,
                    deep=config.layout == "deep",
                    attention=k == config.attention_block,
                    spectral=spectral,
                    blur=config.blur,
                )
            )
            x_ch = out
        if config.out_stride == 1:
            layers.append(FinalUp(x_ch, blur=config.blur))
        if config.dense_merge:
            layers.append(MergeInput())
            x_ch += 3
        if config.res_block:
            layers.append(ResBlock(x_ch, spectral=spectral))
        layers += [nn.Sequential(conv(x_ch, 3, 1, bias=True, spectral=spectral)), SigmoidRange(-3.0, 3.0)]
        self.layers = nn.ModuleList(layers)
        self.n_blocks = len(skips)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = encoder_forward(self.layers[0], x)
        h = self.layers[3](self.layers[2](self.layers[1](feats[-1])))
        for block, skip in zip(self.layers[4 : 4 + self.n_blocks], feats[-2::-1], strict=False):
            h = block(h, skip)
        for module in self.layers[4 + self.n_blocks : -2]:
            h = module(h, x) if isinstance(module, MergeInput) else module(h)
        # The head and what follows in the weights' own dtype (fp32) under autocast: bf16's 8-bit mantissa
        # there moved the output by up to 3 code values, amplified by the chroma gain; the 1x1 conv is cheap.
        head = self.layers[-2]
        with torch.autocast(h.device.type, enabled=False):
            h = self.layers[-1](head(h.to(next(head.parameters()).dtype)))
            if h.shape[-2:] != x.shape[-2:]:
                h = F.interpolate(h, x.shape[-2:], mode="bilinear", align_corners=False)
            if self.config.chroma_gain != 1.0:
                h = scale_chroma(h, self.config.chroma_gain, self.config.chroma_knee)
        return h
