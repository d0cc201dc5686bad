"""videocolor: colorize black-and-white video and photos."""

from __future__ import annotations

__version__ = "0.1.0"
