"""Function-preserving growth: a trained generator's weights in a deeper encoder (Net2Net-style)."""

from __future__ import annotations

import dataclasses

import torch
from torchvision.models.resnet import BasicBlock, Bottleneck

from videocolor.nets.registry import build_generator
from videocolor.nets.unet import Generator

__all__ = ["deepen"]


def deepen(src: Generator, name: str) -> Generator:
    """A generator of registered variant `name` that computes exactly what `src` computes.

    `name` may differ from `src`'s architecture only by more residual blocks per encoder stage (resnet18
    -> resnet34: same widths, 3/4/6 blocks instead of 2/2/2). Every tensor of `src` is copied; each new
    block keeps its random init but with its last BatchNorm's scale at zero, so it starts as the identity
    (its input is a ReLU output, which the block's closing ReLU leaves unchanged) and training grows it.
    Both are in training form (spectral norm in place); the result keeps `src`'s chroma gain and knee.
    """
    dst = build_generator(name, chroma_gain=src.config.chroma_gain, chroma_knee=src.config.chroma_knee)
    same = dataclasses.replace(src.config, name=dst.config.name, encoder=dst.config.encoder)
    if same != dst.config:
        raise ValueError(
            f"{name} differs from {src.config.name} in more than its encoder's depth: cannot grow one into it"
        )
    src_state = src.state_dict()
    dst_state = dst.state_dict()
    if missing := [k for k in src_state if k not in dst_state]:
        raise ValueError(
            f"{name} has no place for {len(missing)} tensor(s) of {src.config.name}, first {missing[0]}"
        )
    for key, value in src_state.items():
        if value.shape != dst_state[key].shape:
            shapes = f"{tuple(value.shape)} in {src.config.name}, {tuple(dst_state[key].shape)} in {name}"
            raise ValueError(f"{key}: shape {shapes}")
    dst.load_state_dict({**dst_state, **src_state})
    new = {key.rsplit(".", 2)[0] for key in dst_state if key not in src_state}
    for path in new:
        block = dst.get_submodule(path)
        if not isinstance(block, BasicBlock | Bottleneck) or block.downsample is not None:
            raise ValueError(f"{path} of {name} is new but not an identity-shortcut residual block")
        last_bn = block.bn3 if isinstance(block, Bottleneck) else block.bn2
        with torch.no_grad():
            last_bn.weight.zero_()
    return dst
