"""Find, load and prepare the generator a colorize run uses."""

from __future__ import annotations

from pathlib import Path

import torch

from videocolor.errors import VideocolorError, WeightsError
from videocolor.pipeline.options import ColorizeOptions
from videocolor.pipeline.stages import PRECISION_DTYPES, Colorizer
from videocolor.runtime import cpu_has_native_bf16

__all__ = [
    "DEFAULT_RENDER_FACTOR",
    "MODELS_DIR",
    "autocast_dtype",
    "load_colorizer",
    "resolve_device",
    "weights_path",
]

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
DEFAULT_RENDER_FACTOR = {"video": 21, "image": 35}  # DeOldify's defaults
_NO_WEIGHTS = (
    "no trained default model is shipped yet: pass --weights FILE.safetensors (convert DeOldify's "
    "weights with `videocolor models convert-deoldify ColorizeVideo_gen.pth --variant video -o FILE."
    "safetensors`, or train one with `videocolor train` and `videocolor train export`)"
)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise VideocolorError(f"--device {name}: no CUDA device is available here (use cpu or auto)")
    return torch.device(name)


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for `precision` on `device` (None: fp32, no autocast); see ColorizeOptions."""
    if precision == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.bfloat16 if device.type == "cpu" and cpu_has_native_bf16() else None
    if precision == "fp16" and device.type != "cuda":
        raise VideocolorError("precision fp16 needs a CUDA device (on a CPU use bf16 or fp32)")
    return PRECISION_DTYPES[precision]


def weights_path(options: ColorizeOptions) -> Path:
    """The weights file named by `weights`, else the shipped model `model`, else the default model."""
    if options.weights is not None:
        path = Path(options.weights)
        if path.is_dir():
            raise WeightsError(f"--weights names a folder, not a weights file: {path}")
        if not path.is_file():
            raise WeightsError(f"weights file not found: {path}")
        return path
    if options.model is not None:
        name = options.model.removesuffix(".safetensors")
        found = sorted(MODELS_DIR.glob(f"{name}*.safetensors"))
        if not found:
            shipped = sorted({p.stem for p in MODELS_DIR.glob("*.safetensors")})
            raise WeightsError(
                f"no shipped model named {options.model!r} in {MODELS_DIR} "
                f"(shipped: {', '.join(shipped) or 'none'}); use --weights FILE"
            )
        return found[-1]
    from videocolor.nets import default_weights_path

    path = default_weights_path()
    if path is None:
        raise WeightsError(_NO_WEIGHTS)
    return Path(path)


def load_colorizer(options: ColorizeOptions, *, kind: str = "video") -> Colorizer:
    """Load the weights on the chosen device, ready for inference; render factor from the options, else
    the weights' metadata, else DeOldify's default for `kind` ("video" or "image")."""
    from videocolor.nets import load_weights, prepare_for_inference

    device = resolve_device(options.device)
    autocast = autocast_dtype(options.precision, device)  # before loading: a bad choice fails at once
    path = weights_path(options)
    model = load_weights(path, device=device)
    model = prepare_for_inference(model, device)
    factor = options.render_factor or _weights_render_factor(model) or DEFAULT_RENDER_FACTOR[kind]
    return Colorizer(
        model,
        device=device,
        render_size=factor * 16,
        render_mode=options.render_mode,
        batch_size=options.batch_size,
        autocast_dtype=autocast,
    )


def _weights_render_factor(model: torch.nn.Module) -> int | None:
    """The render factor recorded in the weights file (nets.load_weights sets it)."""
    value = getattr(model, "render_factor", None)
    return int(value) if value else None
