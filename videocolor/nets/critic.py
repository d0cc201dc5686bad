"""DeOldify's patch critic (custom_gan_critic, ARCHITECTURE.md §10), with its width configurable."""

from __future__ import annotations

from torch import nn

from videocolor.nets.layers import SelfAttention, conv

__all__ = ["build_critic"]


def _unit(ni: int, nf: int, ks: int, stride: int, *, attention: bool = False) -> nn.Sequential:
    """Spectral-normed conv with bias -> LeakyReLU(0.2) [-> self-attention]."""
    layers: list[nn.Module] = [
        conv(ni, nf, ks, stride=stride, bias=True, spectral=True),
        nn.LeakyReLU(0.2, True),
    ]
    if attention:
        layers.append(SelfAttention(nf, spectral=True))
    return nn.Sequential(*layers)


def build_critic(
    nf: int = 256, *, n_blocks: int = 3, dropout: float = 0.15, in_channels: int = 3
) -> nn.Sequential:
    """(N,3,H,W) normalised RGB -> (N, P) patch logits; nf=256, n_blocks=3 is DeOldify's critic.

    Each block halves the resolution and doubles the width; a 4x4 unpadded conv gives one logit per patch
    (81 patches for a 192 input with 3 blocks).
    """
    layers: list[nn.Module] = [_unit(in_channels, nf, 4, 2), nn.Dropout2d(dropout / 2)]
    for i in range(n_blocks):
        layers += [_unit(nf, nf, 3, 1), nn.Dropout2d(dropout), _unit(nf, nf * 2, 4, 2, attention=i == 0)]
        nf *= 2
    layers += [
        _unit(nf, nf, 3, 1),
        nn.Sequential(conv(nf, 1, 4, padding=0, bias=False, spectral=True)),
        nn.Flatten(),
    ]
    return nn.Sequential(*layers)
