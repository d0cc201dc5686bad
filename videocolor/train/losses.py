"""Training losses. Generator terms compare what the pipeline would show (true luma, predicted chroma)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from videocolor.color import IMAGENET_MEAN, IMAGENET_STD, MATRICES, chroma_of, luma_of, merge_chroma
from videocolor.errors import WeightsError
from videocolor.train.config import LossConfig

__all__ = [
    "ColorTerms",
    "GeneratorLoss",
    "VggFeatureLoss",
    "colourfulness_t",
    "critic_loss",
    "generator_adv_loss",
    "normalise",
    "random_affine",
    "warp",
]

BT601 = MATRICES["bt601"]


def normalise(rgb: torch.Tensor) -> torch.Tensor:
    """R'G'B' in [0, 1] -> ImageNet-normalised (the critic's and VGG's input space)."""
    mean = torch.tensor(IMAGENET_MEAN, dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return (rgb - mean) / std


def colourfulness_t(rgb: torch.Tensor) -> torch.Tensor:
    """Differentiable Hasler-Suesstrunk colourfulness per image (|rg|, |yb| on 0..255), shape (N,)."""
    x = rgb.float() * 255.0
    r, g, b = x.unbind(1)
    rg = (r - g).abs().flatten(1)
    yb = (0.5 * (r + g) - b).abs().flatten(1)
    std = (rg.var(1, unbiased=False) + yb.var(1, unbiased=False) + 1e-6).sqrt()
    mean = (rg.mean(1) ** 2 + yb.mean(1) ** 2 + 1e-6).sqrt()
    return std + 0.3 * mean


class VggFeatureLoss(nn.Module):
    """DeOldify's FeatureLoss: 20/70/10 x L1 at VGG16-bn relu3_3/4_3/5_3 on normalised images."""

    LAYERS = (22, 32, 42)
    WEIGHTS = (20.0, 70.0, 10.0)

    def __init__(self, weights_path: str | Path) -> None:
        super().__init__()
        from torchvision.models import vgg16_bn

        vgg = vgg16_bn(weights=None)
        path = Path(weights_path)
        try:
            if path.suffix == ".safetensors":
                from safetensors.torch import load_file

                state = load_file(str(path))
            else:
                state = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise WeightsError(f"VGG weights not found: {path}") from None
        except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's error
            raise WeightsError(f"cannot read VGG weights {path}: {exc}") from None
        feats = {k[len("features.") :]: v for k, v in state.items() if k.startswith("features.")}
        try:
            vgg.features.load_state_dict(feats)
        except RuntimeError as exc:
            first = str(exc).splitlines()[1] if "\n" in str(exc) else str(exc)
            raise WeightsError(f"{path} is not a torchvision vgg16_bn state_dict: {first.strip()}") from None
        self.features = vgg.features[: self.LAYERS[-1] + 1].eval().requires_grad_(False)

    def _taps(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.LAYERS:
                out.append(x)
        return out

    def forward(self, pred_norm: torch.Tensor, truth_norm: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target = self._taps(truth_norm)
        return sum(
            w * F.l1_loss(a, b) for a, b, w in zip(self._taps(pred_norm), target, self.WEIGHTS, strict=True)
        )  # type: ignore[return-value]


@dataclass
class ColorTerms:
    """Everything the losses and metrics need about one prediction, computed once."""

    truth: torch.Tensor  # (N,3,H,W) R'G'B' in [0,1]
    true_luma: torch.Tensor
    true_chroma: torch.Tensor
    pred_chroma: torch.Tensor
    merged: torch.Tensor  # merge_chroma(true luma, predicted chroma): what the pipeline outputs

    @classmethod
    def of(cls, truth: torch.Tensor, pred_rgb: torch.Tensor) -> ColorTerms:
        truth = truth.float()
        true_luma = luma_of(truth, BT601)
        pred_chroma = chroma_of(pred_rgb.float(), BT601)
        return cls(
            truth,
            true_luma,
            chroma_of(truth, BT601),
            pred_chroma,
            merge_chroma(true_luma, pred_chroma, BT601),
        )


def _grad(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]


def _magnitude(chroma: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d((chroma.square().sum(1, keepdim=True) + 1e-8).sqrt(), 4, ceil_mode=True)


class GeneratorLoss(nn.Module):
    """Weighted sum of the configured terms; `forward` returns (total, {term: value})."""

    def __init__(self, cfg: LossConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.vgg = VggFeatureLoss(cfg.vgg_weights) if cfg.vgg_weights and cfg.perceptual > 0 else None

    def forward(self, t: ColorTerms) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        c = self.cfg
        terms: dict[str, torch.Tensor] = {}
        if c.pixel:
            terms["pixel"] = c.pixel * F.l1_loss(t.merged, t.truth)
        if c.chroma:
            terms["chroma"] = c.chroma * F.smooth_l1_loss(t.pred_chroma, t.true_chroma, beta=0.02)
        if c.chroma_grad:
            (px, py), (tx, ty) = _grad(t.pred_chroma), _grad(t.true_chroma)
            terms["chroma_grad"] = c.chroma_grad * (F.l1_loss(px, tx) + F.l1_loss(py, ty))
        if c.saturation:
            terms["saturation"] = c.saturation * F.l1_loss(
                _magnitude(t.pred_chroma), _magnitude(t.true_chroma)
            )
        if c.colourfulness:
            cf = colourfulness_t(t.merged) - colourfulness_t(t.truth)
            terms["colourfulness"] = c.colourfulness * cf.abs().mean()
        if self.vgg is not None:
            terms["perceptual"] = c.perceptual * self.vgg(normalise(t.merged), normalise(t.truth))
        total = sum(terms.values()) if terms else t.merged.sum() * 0.0
        return total, terms  # type: ignore[return-value]


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    # AdaptiveLoss(BCEWithLogitsLoss): the label is expanded to every patch logit.
    return F.binary_cross_entropy_with_logits(logits.float(), torch.full_like(logits.float(), target))


def critic_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    return 0.5 * (_bce(real_logits, 1.0) + _bce(fake_logits, 0.0))


def generator_adv_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    return _bce(fake_logits, 1.0)


def random_affine(
    n: int, max_shift: float, max_scale: float, size: int, generator: torch.Generator
) -> torch.Tensor:
    """(n, 2, 3) affine_grid thetas: a small zoom and a shift of up to `max_shift` pixels."""
    u = torch.rand(n, 3, generator=generator) * 2.0 - 1.0
    scale = 1.0 + max_scale * u[:, 0]
    shift = u[:, 1:] * (2.0 * max_shift / size)  # grid coordinates span 2 over `size` pixels
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = scale
    theta[:, 1, 1] = scale
    theta[:, :, 2] = shift
    return theta


def warp(x: torch.Tensor, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Resample x with theta; returns (warped, valid mask (N,1,H,W)) (the mask excludes the borders)."""
    theta = theta.to(device=x.device, dtype=x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    inside = (grid.abs() <= 1.0).all(-1, keepdim=True).permute(0, 3, 1, 2)
    return out, inside.to(x.dtype)
