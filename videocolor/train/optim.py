"""Optimiser helpers of the training loop: the learning-rate schedule and an EMA of the weights."""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

__all__ = ["Ema", "lr_factor", "set_lr"]


class Ema:
    """Exponential moving average of a module's parameters (buffers are copied)."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        # Warm-up (as timm/TF): early on the average follows the weights, or short runs validate noise.
        decay = min(self.decay, (1.0 + step) / (10.0 + step))
        ema_p = [p for p in self.model.parameters() if p.dtype.is_floating_point]
        src_p = [p for p in model.parameters() if p.dtype.is_floating_point]
        torch._foreach_lerp_(ema_p, src_p, 1.0 - decay)
        for b_ema, b in zip(self.model.buffers(), model.buffers(), strict=True):
            b_ema.copy_(b)


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for group in opt.param_groups:
        group["lr"] = lr


def lr_factor(progress: float, step: int, warmup: int, cosine: bool) -> float:
    """The learning rate's multiplier: linear warm-up over `warmup` steps, then 1, or with `cosine` a cosine
    from 1 down to 0.05 over `progress` in [0, 1] (the larger of the step and wall-clock fractions)."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    if not cosine:
        return 1.0
    return 0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
