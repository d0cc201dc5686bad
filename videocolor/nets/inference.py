"""Inference preparation: fold weight re-parametrisations and BatchNorm into plain convs."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval
from torch.nn.utils.spectral_norm import SpectralNorm, SpectralNormLoadStateDictPreHook
from torchvision.models.resnet import BasicBlock, Bottleneck

from videocolor.nets.layers import WeightNormConv2d

__all__ = ["fold_norms", "prepare_for_inference", "spectral_norm_of"]


def spectral_norm_of(module: nn.Module) -> SpectralNorm | None:
    """The spectral norm torch applies to `module`'s weight, if any."""
    return next((h for h in module._forward_pre_hooks.values() if isinstance(h, SpectralNorm)), None)


def _plain_conv(wn: WeightNormConv2d) -> nn.Conv2d:
    conv = nn.Conv2d(
        wn.in_channels, wn.out_channels, wn.kernel_size, stride=wn.stride, padding=wn.padding, bias=True
    ).to(wn.weight_v.device, wn.weight_v.dtype)
    with torch.no_grad():
        conv.weight.copy_(wn.folded_weight())
        conv.bias.copy_(wn.bias)
    return conv


def fold_norms(model: nn.Module) -> nn.Module:
    """Replace spectral norm and weight norm by the plain weights they compute in eval mode (in place).

    Spectral norm uses the stored u/v as they are (no power iteration), exactly as an eval forward does.
    """
    for module in list(model.modules()):
        if spectral_norm_of(module) is not None:
            nn.utils.remove_spectral_norm(module)
            # torch leaves its (wrapped) legacy-layout load hook behind, which would then demand weight_orig
            for key, hook in list(module._load_state_dict_pre_hooks.items()):
                if isinstance(getattr(hook, "hook", hook), SpectralNormLoadStateDictPreHook):
                    del module._load_state_dict_pre_hooks[key]
        for name, child in list(module.named_children()):
            if isinstance(child, WeightNormConv2d):
                setattr(module, name, _plain_conv(child))
    return model


def _fuse_batchnorms(model: nn.Module) -> None:
    """Merge every BatchNorm that directly follows a conv into that conv (eval statistics)."""
    for module in list(model.modules()):
        if isinstance(module, nn.Sequential):
            children = list(module)
            for i in range(len(children) - 1):
                if isinstance(children[i], nn.Conv2d) and isinstance(children[i + 1], nn.BatchNorm2d):
                    module[i] = fuse_conv_bn_eval(children[i], children[i + 1])
                    module[i + 1] = nn.Identity()
        elif isinstance(module, BasicBlock | Bottleneck):
            for k in (1, 2, 3):
                if hasattr(module, f"conv{k}"):
                    setattr(
                        module,
                        f"conv{k}",
                        fuse_conv_bn_eval(getattr(module, f"conv{k}"), getattr(module, f"bn{k}")),
                    )
                    setattr(module, f"bn{k}", nn.Identity())


def prepare_for_inference(
    model: nn.Module, device: str | torch.device = "cpu", *, dtype: torch.dtype | None = None
) -> nn.Module:
    """Fold norms and conv+BN pairs, eval(), move to device/dtype, channels_last. Modifies and returns model.

    Outputs equal the unprepared eval model's within float rounding (well under 1e-4 in float32).
    With dtype (e.g. torch.float16/bfloat16 on a GPU) the weights are cast: feed inputs of that dtype.
    """
    model.eval()
    fold_norms(model)
    _fuse_batchnorms(model)
    model.to(device=device, dtype=dtype)
    return model.to(memory_format=torch.channels_last)
