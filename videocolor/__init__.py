"""videocolor: colorize black-and-white video and photos."""

from __future__ import annotations

import os
from typing import Any

# Before torch loads: OpenMP's default spin-waiting makes torch's threads fight the decode/encode threads
# (and any other busy process) for the cores; passive waiting was 10-60x faster on a loaded 2-core CPU.
# A value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
__all__ = ["colorize_image", "colorize_video"]


def __getattr__(name: str) -> Any:
    # Lazy: `import videocolor` stays light (no torch/PyAV) for the CLI and the training workers.
    if name in __all__:
        from videocolor import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'videocolor' has no attribute {name!r}")
