"""The generator's input and output space (DeOldify's): gray replicated to 3 channels, ImageNet-normalised."""

from __future__ import annotations

import torch

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "imagenet_stats", "luma_to_model_input", "model_output_to_rgb"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def imagenet_stats(like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """ImageNet mean and std as (3, 1, 1) tensors of `like`'s dtype and device."""
    mean = torch.tensor(IMAGENET_MEAN, dtype=like.dtype, device=like.device).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=like.dtype, device=like.device).view(3, 1, 1)
    return mean, std


def luma_to_model_input(luma: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) luma in [0, 1] -> (N, 3, H, W) normalised generator input."""
    if luma.dim() != 4 or luma.shape[1] != 1:
        raise ValueError(f"luma must have shape (N, 1, H, W), got {tuple(luma.shape)}")
    mean, std = imagenet_stats(luma)
    return (luma.expand(-1, 3, -1, -1) - mean) / std


def model_output_to_rgb(out: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) normalised generator output -> R'G'B' in [0, 1]."""
    mean, std = imagenet_stats(out)
    return (out * std + mean).clamp(0.0, 1.0)
