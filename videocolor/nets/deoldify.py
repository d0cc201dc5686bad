"""Load DeOldify's published generator files (fastai Learner.save format) without fastai."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path

import torch

from videocolor.errors import WeightsError
from videocolor.nets.registry import build_generator
from videocolor.nets.unet import Generator
from videocolor.nets.weights import first_line, load_state_dict_strict

__all__ = ["DEOLDIFY_FILES", "DEOLDIFY_VARIANTS", "deoldify_from_state_dict", "load_deoldify_generator"]

DEOLDIFY_FILES = {
    "artistic": "ColorizeArtistic_gen.pth",
    "stable": "ColorizeStable_gen.pth",
    "video": "ColorizeVideo_gen.pth",
}
DEOLDIFY_VARIANTS = tuple(DEOLDIFY_FILES)


def load_deoldify_generator(path: str | Path, variant: str) -> Generator:
    """DeOldify's generator `variant` with the weights of a Learner.save file, in eval mode.

    The file may hold {'model': state_dict, 'opt': ...} or a bare state dict, in torch's legacy or zip
    serialization. It is read with weights_only=True: a pickle that would run code is refused.
    """
    path = Path(path)
    _check_variant(variant)
    if not path.is_file():
        raise WeightsError(f"DeOldify weights file not found: {path}")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if not (head.startswith(b"PK\x03\x04") or head[:1] == b"\x80"):  # torch's zip, or a legacy pickle
        raise WeightsError(f"{path}: not a PyTorch checkpoint (expected DeOldify's {variant} generator .pth)")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # torch's message advises weights_only=False, which would run the code
        raise WeightsError(
            f"{path}: refused to load: the file holds Python objects other than tensors, and unpickling "
            "them would run code from the file"
        ) from None
    except Exception as exc:  # torch raises many types for truncated or foreign files
        raise WeightsError(
            f"{path}: not a PyTorch checkpoint ({type(exc).__name__}: {first_line(exc)})"
        ) from None
    # Learner.save wraps the state dict as {'model', 'opt'} (Learner.load unwraps it; 'model' alone too)
    if isinstance(obj, Mapping) and "model" in obj and set(obj) <= {"model", "opt"}:
        obj = obj["model"]
    if not isinstance(obj, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()
    ):
        raise WeightsError(f"{path}: not a state dict of tensors (expected DeOldify's {variant} generator)")
    return deoldify_from_state_dict(obj, variant, what=f"{path} (expected DeOldify {variant})")


def deoldify_from_state_dict(
    state: Mapping[str, torch.Tensor], variant: str, *, what: str | None = None
) -> Generator:
    """Build DeOldify's `variant` and load `state` strictly (legacy spectral-norm layout accepted)."""
    _check_variant(variant)
    with torch.device("meta"):  # no random init: every tensor comes from the file
        model = build_generator(variant)
    state = _upgrade_legacy_layout(dict(state), model)
    load_state_dict_strict(model, state, what=what or f"DeOldify {variant}", assign=True)
    return model.eval()


def _check_variant(variant: str) -> None:
    if variant not in DEOLDIFY_FILES:
        raise WeightsError(f"unknown DeOldify variant {variant!r} (known: {', '.join(DEOLDIFY_VARIANTS)})")


def _upgrade_legacy_layout(state: dict[str, torch.Tensor], model: Generator) -> dict[str, torch.Tensor]:
    """Pre-1.0 torch files: spectral norm as weight_orig/weight/weight_u (no weight_v), BatchNorm without
    num_batches_tracked (ARCHITECTURE.md §7)."""
    for key, buf in model.state_dict().items():
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = torch.zeros_like(buf, device="cpu")
        if not key.endswith(".weight_v") or (prefix := key[: -len("weight_v")]) + "weight_g" in state:
            continue
        if key not in state and all(prefix + s in state for s in ("weight_orig", "weight", "weight_u")):
            with torch.no_grad():
                weight_orig = state[prefix + "weight_orig"]
                # weight = weight_orig / sigma. torch's hook takes mean(weight_orig / weight), which is NaN as
                # soon as one element is 0; the least-squares ratio is not.
                weight = state.pop(prefix + "weight")
                sigma = torch.dot(weight_orig.flatten(), weight_orig.flatten()) / torch.dot(
                    weight_orig.flatten(), weight.flatten()
                )
                w = weight_orig.reshape(weight_orig.shape[0], -1)
                u = state[prefix + "weight_u"]
                # Eval output depends on v only through sigma = u.(W v), so any v meeting the target sigma
                # is exact; W^T u is also where training's power iteration would take v next (torch's own
                # hook solves a pseudo-inverse instead, which takes minutes on these layer sizes).
                v = w.t() @ u
                state[key] = v * (sigma / torch.dot(u, w @ v))
    return state
