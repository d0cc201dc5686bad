"""Self-describing generator weight files (safetensors): architecture config + provenance in the metadata."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from videocolor.config import ConfigError, config_from_dict, config_to_dict
from videocolor.errors import WeightsError
from videocolor.nets.inference import fold_norms, spectral_norm_of
from videocolor.nets.layers import WeightNormConv2d
from videocolor.nets.unet import Generator, GeneratorConfig

__all__ = [
    "DEFAULT_WEIGHTS_NAME",
    "default_weights_path",
    "load_for_training",
    "load_weights",
    "read_architecture",
    "save_weights",
]

FORMAT = "videocolor.generator"
FORMAT_VERSION = "1"
DEFAULT_WEIGHTS_NAME = "fast.v4.safetensors"


def save_weights(
    model: Generator, path: str | Path, *, provenance: dict[str, Any], dtype: torch.dtype = torch.float16
) -> Path:
    """Write `model`'s weights with spectral/weight norm folded, floats cast to `dtype`, atomically."""
    if not isinstance(model, Generator):
        raise TypeError(f"save_weights needs a videocolor Generator, got {type(model).__name__}")
    path = Path(path)
    folded = fold_norms(copy.deepcopy(model).cpu().eval())
    tensors = {
        k: (v.to(dtype) if v.is_floating_point() else v).contiguous() for k, v in folded.state_dict().items()
    }
    with torch.device("meta"):
        expected = fold_norms(Generator(model.config)).state_dict()
    if list(expected) != list(tensors):
        raise ValueError(
            "save_weights needs the training form of the model (save before prepare_for_inference)"
        )
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": json.dumps(config_to_dict(model.config)),
        "provenance": json.dumps(provenance),
        "render_factor": str(model.config.render_factor),
    }
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        save_file(tensors, str(tmp), metadata=metadata)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The file's config (as a dict), provenance and render factor, without loading the tensors."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
    except FileNotFoundError:
        raise WeightsError(f"weights file not found: {path}") from None
    except (SafetensorError, OSError) as exc:
        raise WeightsError(f"{path}: not a safetensors weights file ({first_line(exc)})") from None
    if meta.get("format") != FORMAT:
        raise WeightsError(f"{path}: not a videocolor generator file (no '{FORMAT}' metadata)")
    if meta.get("format_version") != FORMAT_VERSION:
        raise WeightsError(f"{path}: unsupported format version {meta.get('format_version')!r}")
    try:
        info = {
            "config": json.loads(meta["config"]),
            "provenance": json.loads(meta.get("provenance", "{}")),
            "render_factor": int(meta["render_factor"]),
        }
    except (KeyError, ValueError) as exc:
        raise WeightsError(f"{path}: malformed metadata ({first_line(exc)})") from None
    if not isinstance(info["config"], dict) or not isinstance(info["provenance"], dict):
        raise WeightsError(f"{path}: malformed metadata (config and provenance must be JSON objects)")
    return info


def read_architecture(path: str | Path) -> tuple[GeneratorConfig, dict[str, Any]]:
    """The generator config a file describes, and its metadata (read_metadata)."""
    meta = read_metadata(path)
    try:
        return config_from_dict(GeneratorConfig, meta["config"]), meta
    except ConfigError as exc:
        raise WeightsError(f"{path}: unknown architecture in metadata ({exc})") from None


def load_weights(path: str | Path, *, device: str | torch.device = "cpu") -> Generator:
    """Rebuild the generator a file describes and load its weights (strict). Returns an eval-mode module
    with folded norms, in float32, carrying `.provenance` and `.render_factor` from the file."""
    config, meta = read_architecture(path)
    with torch.device("meta"):  # no random init: every tensor comes from the file
        model = fold_norms(Generator(config)).eval()
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise WeightsError(f"{path}: unreadable tensors ({first_line(exc)})") from None
    load_state_dict_strict(model, tensors, what=f"{path} ({config.name})", assign=True)
    model.provenance = meta["provenance"]
    model.render_factor = meta["render_factor"]
    return model.to(device=device, dtype=torch.float32)


def load_for_training(path: str | Path, model: Generator) -> None:
    """Start `model`, a generator in training form (spectral and weight norm in place), from a weights
    file: the inverse of the folding `save_weights` does. Only the file's chroma gain (and knee) is left
    out (training sees the raw prediction) and its spectral-normed weights come back at spectral norm 1."""
    config, _ = read_architecture(path)
    raw = {"chroma_gain": 1.0, "chroma_knee": 0.0}
    if dataclasses.replace(config, **raw) != dataclasses.replace(model.config, **raw):
        raise WeightsError(
            f"{path} holds a {config.name} generator, not the {model.config.name} being trained"
        )
    try:
        tensors = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(path)).items()}
    except (SafetensorError, OSError) as exc:
        raise WeightsError(f"{path}: unreadable tensors ({first_line(exc)})") from None
    for name, module in model.named_modules():
        prefix = f"{name}." if name else ""
        norm = spectral_norm_of(module)
        if norm is not None and prefix + "weight" in tensors:
            # Exact singular vectors: W / sigma_max(W), the weight rescaled to spectral norm 1 as the
            # training form keeps it (a file's weights are within ~1 % of that: power iteration lags).
            weight = tensors.pop(prefix + "weight")
            u, _, vh = torch.linalg.svd(norm.reshape_weight_to_matrix(weight).double(), full_matrices=False)
            tensors.update(
                {prefix + "weight_orig": weight, prefix + "weight_u": u[:, 0], prefix + "weight_v": vh[0]}
            )
        elif isinstance(module, WeightNormConv2d) and prefix + "weight" in tensors:
            weight = tensors.pop(prefix + "weight")
            tensors[prefix + "weight_v"] = weight
            tensors[prefix + "weight_g"] = weight.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
    load_state_dict_strict(model, tensors, what=f"{path} ({config.name})")


def load_state_dict_strict(
    model: torch.nn.Module, state: Mapping[str, torch.Tensor], *, what: str, assign: bool = False
) -> None:
    """load_state_dict(strict) with a one-line WeightsError naming the first offending keys.

    assign=True adopts the given tensors (for a model built on the meta device)."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing key(s), first {', '.join(missing[:3])}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected key(s), first {', '.join(unexpected[:3])}")
        raise WeightsError(f"{what}: weights do not match the architecture: {'; '.join(parts)}")
    for key, value in expected.items():
        if tuple(state[key].shape) != tuple(value.shape):
            raise WeightsError(
                f"{what}: {key} has shape {tuple(state[key].shape)}, expected {tuple(value.shape)}"
            )
        if state[key].is_floating_point() != value.is_floating_point():
            raise WeightsError(f"{what}: {key} has dtype {state[key].dtype}, expected {value.dtype}")
    # the module's dtypes win (float16 files load as float32, as a copying load_state_dict would do)
    state = {k: v.to(expected[k].dtype) for k, v in state.items()}
    model.load_state_dict(state, strict=True, assign=assign)


def default_weights_path() -> Path | None:
    """The shipped default model: in $VIDEOCOLOR_MODELS, else <repo>/models/; None if absent."""
    folders = [Path(env)] if (env := os.environ.get("VIDEOCOLOR_MODELS")) else []
    folders.append(Path(__file__).resolve().parents[2] / "models")
    for folder in folders:
        candidate = folder / DEFAULT_WEIGHTS_NAME
        if candidate.is_file():
            return candidate
    return None


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
