"""videocolor.train: datasets, degradations, losses, phases, checkpoints. Inference never imports it.

Imports without PyAV: `av` is imported only when a video is used as training data.
"""

from videocolor.train.checkpoint import export_checkpoint, grow_weights, load_checkpoint
from videocolor.train.config import PHASES, TrainConfig, load_train_config
from videocolor.train.distributed import setup_env
from videocolor.train.trainer import RunResult, run_training

__all__ = [
    "PHASES",
    "RunResult",
    "TrainConfig",
    "export_checkpoint",
    "grow_weights",
    "load_checkpoint",
    "load_train_config",
    "run_training",
    "setup_env",
]
