"""Generator and critic architectures (DeOldify-compatible U-Nets and faster members) and weight files."""

from videocolor.nets.critic import build_critic
from videocolor.nets.inference import fold_norms, prepare_for_inference
from videocolor.nets.registry import (
    build_generator,
    get_generator_config,
    list_generators,
    register_generator,
)
from videocolor.nets.unet import Generator, GeneratorConfig
from videocolor.nets.weights import (
    DEFAULT_WEIGHTS_NAME,
    default_weights_path,
    load_for_training,
    load_weights,
    read_metadata,
    save_weights,
)

__all__ = [
    "DEFAULT_WEIGHTS_NAME",
    "Generator",
    "GeneratorConfig",
    "build_critic",
    "build_generator",
    "default_weights_path",
    "fold_norms",
    "get_generator_config",
    "list_generators",
    "load_for_training",
    "load_weights",
    "prepare_for_inference",
    "read_metadata",
    "register_generator",
    "save_weights",
]
