"""Named generator variants (frozen configs); DeOldify's three and our own."""

from __future__ import annotations

import dataclasses
from typing import Any

from videocolor.nets.unet import Generator, GeneratorConfig

__all__ = ["build_generator", "get_generator_config", "list_generators", "register_generator"]

_REGISTRY: dict[str, GeneratorConfig] = {}


def register_generator(config: GeneratorConfig) -> GeneratorConfig:
    if config.name in _REGISTRY:
        raise ValueError(f"generator {config.name!r} is already registered")
    _REGISTRY[config.name] = config
    return config


def list_generators() -> list[str]:
    return list(_REGISTRY)


def get_generator_config(name: str) -> GeneratorConfig:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown generator {name!r} (known: {', '.join(_REGISTRY)})") from None


def build_generator(name: str, **overrides: Any) -> Generator:
    """A freshly initialised generator of variant `name`, with config fields replaced by `overrides`."""
    return Generator(dataclasses.replace(get_generator_config(name), **overrides))


# DeOldify's published generators (ARCHITECTURE.md §5): render factor 35 for images, 21 for video.
register_generator(
    GeneratorConfig("artistic", encoder="resnet34", layout="deep", nf_factor=1.5, render_factor=35)
)
register_generator(
    GeneratorConfig("stable", encoder="resnet101", layout="wide", nf_factor=2.0, render_factor=35)
)
register_generator(
    GeneratorConfig("video", encoder="resnet101", layout="wide", nf_factor=2.0, render_factor=21)
)
# Our default: resnet18 cut after layer3 (1/16; layer4 holds 75 % of resnet18's weights), a narrow wide-layout
# decoder with attention at 1/8, and chroma predicted at 1/4 of the render size (it is low-frequency).
register_generator(
    GeneratorConfig(
        "fast",
        encoder="resnet18",
        encoder_stages=3,
        layout="wide",
        decoder_widths=(128, 64),
        middle_widths=(256,),
        attention_block=0,
        out_stride=4,
        res_block=False,
        render_factor=16,
    )
)
# The same with resnet34's 3/4/6 blocks in those stages (9.3 M parameters, ~17 % slower): more depth for
# the encoder's recognition; `videocolor train grow` starts it from trained `fast` weights.
register_generator(dataclasses.replace(get_generator_config("fast"), name="fast34", encoder="resnet34"))
# The smallest member, for tests and smoke training; it keeps every kind of block.
register_generator(
    GeneratorConfig(
        "tiny",
        encoder="resnet18",
        encoder_stages=2,
        layout="deep",
        decoder_widths=(16,),
        middle_widths=(32,),
        attention_block=0,
        out_stride=4,
        render_factor=4,
    )
)
