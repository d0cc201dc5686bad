"""ColorizeOptions: every setting of a colorize run, loadable from a TOML preset in `pipelines/`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from videocolor.config import ConfigError, config_from_dict, load_toml
from videocolor.io import EncodeOptions
from videocolor.temporal import SmoothingConfig

__all__ = ["PRESET_DIR", "ColorizeOptions", "load_options"]

PRESET_DIR = Path(__file__).resolve().parents[2] / "pipelines"


@dataclass(frozen=True)
class ColorizeOptions:
    """`render_factor` has DeOldify's meaning (render size = factor x 16); None: the weights' own
    default, else 21 for video and 35 for images. `render_mode` "stretch" squares the frame as DeOldify
    does; "pad" keeps the aspect ratio (same pixel count, padded to a multiple of 32, cropped back)."""

    model: str | None = None  # a shipped model's name (models/NAME*.safetensors)
    weights: str | None = None  # a weights file; overrides `model`
    render_factor: int | None = None
    render_mode: Literal["stretch", "pad"] = "stretch"
    batch_size: int = 4
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    # The model's arithmetic. auto: bf16 on GPUs that have it (else fp16), bf16 on CPUs that compute it
    # natively (AMX or AVX512-BF16: ~2x fp32 there), fp32 on other CPUs.
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    start: float | None = None  # seconds from the first frame
    duration: float | None = None  # seconds
    overwrite: bool = False
    queue_size: int = 8  # frames buffered between two stages
    sequence_fps: float = 24.0  # the frame rate of a folder of images colorized into a video (film scans)
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)
    encode: EncodeOptions = field(default_factory=EncodeOptions)

    def __post_init__(self) -> None:
        if self.render_mode not in ("stretch", "pad"):
            raise ValueError(f"render_mode must be stretch or pad, got {self.render_mode!r}")
        if self.render_factor is not None and not 1 <= self.render_factor <= 256:
            raise ValueError(f"render_factor must be in 1..256, got {self.render_factor}")
        if self.batch_size < 1 or self.queue_size < 1:
            raise ValueError("batch_size and queue_size must be >= 1")
        if self.start is not None and self.start < 0:
            raise ValueError(f"start must be >= 0, got {self.start}")
        if self.duration is not None and self.duration <= 0:
            raise ValueError(f"duration must be > 0, got {self.duration}")
        if self.sequence_fps <= 0:
            raise ValueError(f"sequence_fps must be > 0, got {self.sequence_fps}")
        if self.precision not in ("auto", "fp32", "bf16", "fp16"):
            raise ValueError(f"precision must be auto, fp32, bf16 or fp16, got {self.precision!r}")
        if not (self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:")):
            raise ValueError(f"device must be auto, cpu or cuda[:N], got {self.device!r}")


def load_options(preset: str | Path | None = None, **overrides: Any) -> ColorizeOptions:
    """Options from a preset (a name in `pipelines/` or a .toml path), then `overrides` (None values are
    ignored; `smoothing_*` / `encode_*` keys set fields of those tables)."""
    data: dict[str, Any] = {}
    if preset is not None:
        path = Path(preset)
        if path.suffix != ".toml":
            path = PRESET_DIR / f"{preset}.toml"
            if not path.exists():
                known = sorted(p.stem for p in PRESET_DIR.glob("*.toml") if not p.stem.startswith("train-"))
                raise ConfigError(f"unknown preset {preset!r} (known: {', '.join(known)})")
        data = load_toml(path)
    for key, value in overrides.items():
        if value is None:
            continue
        table, _, sub = key.partition("_")
        if table in ("smoothing", "encode") and sub:
            data.setdefault(table, {})[sub] = value
        else:
            data[key] = value
    return config_from_dict(ColorizeOptions, data)
