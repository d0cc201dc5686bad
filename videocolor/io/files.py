"""Which files are photos and which videos (by suffix), and the media files under a folder as folder jobs
(batches, photo folders, evaluation sets) walk them."""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

__all__ = ["IMAGE_SUFFIXES", "VIDEO_SUFFIXES", "media_files"]

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".jp2", ".pgm", ".ppm"}
)
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".m2ts", ".mts", ".mxf"}
    | {".ogv", ".flv", ".wmv", ".dv", ".3gp", ".nut"}
)


def media_files(folder: Path, suffixes: Collection[str], skip: Path | None = None) -> list[Path]:
    """Files under `folder` whose suffix (lower case) is in `suffixes`, folder by folder in name order.
    Hidden files and folders are left out (e.g. macOS's `._name.jpg` resource forks), and so is `skip`:
    an output folder inside the input tree is not read back as input."""
    skip = skip.resolve() if skip is not None else None
    found = []
    for root, dirs, files in os.walk(folder.resolve()):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and here / d != skip)
        found += [
            here / f for f in sorted(files) if not f.startswith(".") and Path(f).suffix.lower() in suffixes
        ]
    return found
