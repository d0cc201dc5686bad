"""videocolor: colorize black-and-white video and photos."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["colorize_image", "colorize_video"]


def __getattr__(name: str) -> Any:
    # Lazy: `import videocolor` stays light (no torch/PyAV) for the CLI and the training workers.
    if name in __all__:
        from videocolor import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'videocolor' has no attribute {name!r}")
