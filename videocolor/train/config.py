"""Training configuration: frozen dataclasses loaded from a TOML preset (`pipelines/train-*.toml`)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from videocolor.config import ConfigError, config_from_dict, load_toml, parse_override

__all__ = [
    "CriticPhaseConfig",
    "DataConfig",
    "DegradeConfig",
    "GanPhaseConfig",
    "GenPhaseConfig",
    "LossConfig",
    "ModelConfig",
    "PHASES",
    "RunConfig",
    "TrainConfig",
    "load_train_config",
]

PHASES = ("pretrain_gen", "pretrain_critic", "gan")


@dataclass(frozen=True)
class ModelConfig:
    generator: str = "fast"  # a name registered in videocolor.nets
    init: str = ""  # a weights file of that generator to start from (fine-tuning); "" = random weights
    critic_nf: int = 256  # DeOldify's critic width; small values train on a CPU
    critic_blocks: int = 3  # DeOldify's depth; each block halves the size (crop / 2**(blocks+1) >= 4)


@dataclass(frozen=True)
class DataConfig:
    crop: int = 256  # training size: train at the size you render at
    batch_size: int = 32  # global batch (split over accumulation steps and DDP ranks)
    val_fraction: float = 0.05  # share of source files held out (split by file, stable across runs)
    val_max: int = 64  # at most this many validation images
    val_size: int = 0  # validation crop; 0 = crop
    cache_short_side: int = 0  # images are decoded once and kept with this short side; 0 = 1.25 x crop
    scale_min: float = 0.3  # random-resized-crop area fraction range
    scale_max: float = 1.0
    ratio_jitter: float = 1.33  # aspect ratio of the crop box in [1/r, r] (then stretched to square)
    hflip: bool = True
    # Near-gray scenes are rare in photo sets; these appear `neutral_repeat` times per epoch.
    neutral_repeat: int = 1
    neutral_cf: float = 20.0  # colourfulness (0..255 scale) below which an image counts as near-gray
    frames_per_video: int = 24  # frames sampled evenly from each video source
    workers: int = -1  # DataLoader workers; -1 = min(12, cpu count - 2), at least 1
    prefetch: int = 4

    def __post_init__(self) -> None:
        if self.crop < 16 or self.crop % 8:
            raise ValueError(f"crop must be a multiple of 8 >= 16, got {self.crop}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if not 0.0 < self.scale_min <= self.scale_max <= 1.0:
            raise ValueError("need 0 < scale_min <= scale_max <= 1")
        if self.neutral_repeat < 1:
            raise ValueError(f"neutral_repeat must be >= 1, got {self.neutral_repeat}")


@dataclass(frozen=True)
class DegradeConfig:
    """Archival degradations of the model input only (the target stays clean). Probabilities per image."""

    strength: float = 1.0  # scales every magnitude below; 0 turns degradations off
    tint: float = 0.5  # sepia/tint or film-response channel mix before reducing to luma
    contrast: float = 0.6  # contrast / gamma / brightness shifts
    blur: float = 0.4
    grain: float = 0.6  # film grain (spatially correlated) plus sensor noise
    jpeg: float = 0.5  # JPEG/compression artefacts (quality 15..85)
    scratches: float = 0.2
    dust: float = 0.3


@dataclass(frozen=True)
class LossConfig:
    # Every term compares merge_chroma(true_luma, chroma(pred)) with the truth, i.e. what the pipeline shows.
    pixel: float = 1.0  # L1 on the merged R'G'B'
    chroma: float = 1.0  # Huber on (Cb, Cr)
    chroma_grad: float = 0.5  # L1 on the spatial gradients of (Cb, Cr): sharp colour edges
    saturation: float = 1.0  # L1 between blurred chroma magnitudes: fights the sepia wash-out
    colourfulness: float = 0.02  # |CF(pred) - CF(truth)| per image (Hasler-Suesstrunk, 0..255 scale)
    perceptual: float = 1.0  # DeOldify's VGG16-bn feature loss; used only with vgg_weights
    vgg_weights: str = ""  # local torchvision vgg16_bn state_dict file (nothing is downloaded)
    temporal: float = 0.0  # temporal-stability term (off by default): shifted/rescaled/noised copy agrees
    temporal_shift: float = 4.0  # max translation in pixels of the copy
    temporal_scale: float = 0.06  # max relative rescale of the copy
    temporal_noise: float = 0.02  # std of the noise added to the copy's luma


@dataclass(frozen=True)
class GenPhaseConfig:
    steps: int = 2000
    lr: float = 1e-3
    weight_decay: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.99)
    warmup: int = 100
    max_minutes: float = 0.0  # wall-clock budget of the phase; 0 = none
    ema: float = 0.999  # EMA decay of the generator weights; 0 = off


@dataclass(frozen=True)
class CriticPhaseConfig:
    steps: int = 300
    lr: float = 1e-3
    weight_decay: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.99)
    warmup: int = 20
    max_minutes: float = 0.0


@dataclass(frozen=True)
class GanPhaseConfig:
    steps: int = 500  # generator steps
    lr: float = 2e-5  # generator learning rate (DeOldify: 1e-5 .. 2e-5)
    critic_lr_mult: float = 5.0  # critic lr = this x lr (GANDiscriminativeLR)
    weight_decay: float = 1e-3
    betas: tuple[float, float] = (0.0, 0.9)
    critic_steps: int = 2  # critic optimizer steps per generator step
    adaptive: bool = False  # DeOldify's AdaptiveGANSwitcher: critic steps until its loss < critic_thresh
    critic_thresh: float = 0.65
    max_critic_steps: int = 20  # cap on adaptive critic steps per generator step
    adv_weight: float = 1.0  # weights_gen: adversarial term
    feat_weight: float = 1.5  # weights_gen: the pretraining loss
    warmup: int = 0
    max_minutes: float = 0.0
    ema: float = 0.999

    def __post_init__(self) -> None:
        if self.critic_steps < 1:
            raise ValueError(f"critic_steps must be >= 1, got {self.critic_steps}")


@dataclass(frozen=True)
class RunConfig:
    seed: int = 0
    amp: str = "bf16"  # bf16 | fp16 | none; on a CPU bf16 only where it is native, else fp32
    grad_clip: float = 1.0  # max global grad norm; 0 = off
    accum_steps: int = 1  # micro-batches per optimizer step (same maths as that many DDP ranks)
    log_every: int = 10
    val_every: int = 200
    ckpt_every: int = 200
    keep_every: int = 0  # also keep a numbered checkpoint every N steps; 0 = off
    cf_target: float = 0.6  # validation score = psnr gain - cf_penalty * max(0, cf_target - cf_ratio)
    cf_penalty: float = 10.0
    grid_images: int = 8
    phases: tuple[str, ...] = PHASES
    budget_share: tuple[float, float, float] = (0.6, 0.1, 0.3)  # split of --max-minutes over the phases

    def __post_init__(self) -> None:
        if self.amp not in ("bf16", "fp16", "none"):
            raise ValueError(f"amp must be bf16, fp16 or none, got {self.amp!r}")
        unknown = [p for p in self.phases if p not in PHASES]
        if unknown:
            raise ValueError(f"unknown phase {unknown[0]!r} (known: {', '.join(PHASES)})")
        if self.accum_steps < 1:
            raise ValueError("accum_steps must be >= 1")


@dataclass(frozen=True)
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    degrade: DegradeConfig = field(default_factory=DegradeConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    pretrain_gen: GenPhaseConfig = field(default_factory=GenPhaseConfig)
    pretrain_critic: CriticPhaseConfig = field(default_factory=CriticPhaseConfig)
    gan: GanPhaseConfig = field(default_factory=GanPhaseConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def __post_init__(self) -> None:
        smallest = 2 ** (self.model.critic_blocks + 3)  # the critic's last feature map must be >= 4 px
        if self.data.crop < smallest and {"pretrain_critic", "gan"} & set(self.run.phases):
            raise ValueError(
                f"data.crop {self.data.crop} is too small for a critic of {self.model.critic_blocks} blocks"
                f" (at least {smallest}; or fewer model.critic_blocks)"
            )


def _set(tree: dict[str, Any], keys: list[str], value: Any) -> None:
    for k in keys[:-1]:
        node = tree.setdefault(k, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override {'.'.join(keys)}: {k} is not a table")
        tree = node
    tree[keys[-1]] = value


def load_train_config(
    preset: str | Path | None = None, overrides: Sequence[str] = (), base: dict[str, Any] | None = None
) -> TrainConfig:
    """Preset TOML (or `base`, a config dict) + `key=value` overrides -> validated TrainConfig."""
    tree: dict[str, Any] = copy.deepcopy(base) if base is not None else {}
    if preset is not None:
        tree = load_toml(preset)
    for text in overrides:
        keys, value = parse_override(text)
        _set(tree, keys, value)
    return config_from_dict(TrainConfig, tree)
