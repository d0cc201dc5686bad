"""ResNet encoders cut the way fastai's create_body cuts them (the first 8 children: no avgpool/fc)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torchvision
from torch import nn

__all__ = ["ENCODERS", "EncoderSpec", "build_encoder", "encoder_forward"]


@dataclass(frozen=True)
class EncoderSpec:
    """Channels of the stem (1/2) and of layer1..layer4 (1/4 .. 1/32)."""

    stem: int
    stages: tuple[int, int, int, int]


ENCODERS: dict[str, EncoderSpec] = {
    "resnet18": EncoderSpec(64, (64, 128, 256, 512)),
    "resnet34": EncoderSpec(64, (64, 128, 256, 512)),
    "resnet50": EncoderSpec(64, (256, 512, 1024, 2048)),
    "resnet101": EncoderSpec(64, (256, 512, 1024, 2048)),
}

# Children of the cut body whose outputs feed the decoder: 2 (ReLU after bn1, 1/2), 4..7 (layer1..4).
SKIP_CHILDREN = (2, 4, 5, 6, 7)


def build_encoder(name: str, stages: int) -> nn.Sequential:
    """conv1, bn1, relu, maxpool, layer1 .. layer<stages> of torchvision's resnet (random init)."""
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r} (known: {', '.join(ENCODERS)})")
    if not 1 <= stages <= 4:
        raise ValueError(f"encoder stages must be 1..4, got {stages}")
    resnet = getattr(torchvision.models, name)(weights=None)
    return nn.Sequential(*list(resnet.children())[: 4 + stages])


def encoder_forward(body: nn.Sequential, x: torch.Tensor) -> list[torch.Tensor]:
    """The feature maps at strides 2, 4, 8, ... (finest first), the last being the encoder's output."""
    feats = []
    for i, child in enumerate(body):
        x = child(x)
        if i in SKIP_CHILDREN:
            feats.append(x)
    return feats
