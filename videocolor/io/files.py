"""Which files are photos and which videos (by suffix), the media files under a folder as folder jobs
(batches, photo folders, evaluation sets) walk them, and the glob that reads a folder as an image sequence."""

from __future__ import annotations

import glob
import os
import re
from collections import Counter
from collections.abc import Collection
from pathlib import Path

from videocolor.errors import InputError

__all__ = [
    "IMAGE_SUFFIXES",
    "SEQUENCE_SUFFIXES",
    "VIDEO_SUFFIXES",
    "image_glob",
    "is_sequence_pattern",
    "media_files",
    "pattern_glob",
]

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".jp2", ".pgm", ".ppm"}
)
# What FFmpeg reads as frames of an image sequence: the photos, and film scanners' DPX.
SEQUENCE_SUFFIXES = IMAGE_SUFFIXES | {".dpx"}
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


def image_glob(folder: Path) -> str:
    """A glob for the images directly in `folder` that share its most common image suffix (as spelled:
    globs are case-sensitive), e.g. `scans/*.dpx`; its name is escaped. InputError if it holds none."""
    suffixes = Counter(p.suffix for p in folder.iterdir() if p.suffix.lower() in SEQUENCE_SUFFIXES)
    if not suffixes:
        raise InputError(f"no images ({', '.join(sorted(SEQUENCE_SUFFIXES))}) in {folder}")
    return f"{glob.escape(str(folder))}/*{glob.escape(suffixes.most_common(1)[0][0])}"


# A frame-number field in an output name, as FFmpeg's image2 muxer fills it: %d or %0Nd.
_FRAME_FIELD = re.compile(r"%(0\d+)?d")


def is_sequence_pattern(path: Path) -> bool:
    """An output name such as `scans/reel1_%06d.png`: one frame-number field, an image suffix."""
    return (
        len(_FRAME_FIELD.findall(path.name.replace("%%", ""))) == 1
        and path.suffix.lower() in SEQUENCE_SUFFIXES
    )


def pattern_glob(path: Path) -> str:
    """The glob of the files a sequence pattern names (%06d: six digits, %d: any number of them)."""
    match = _FRAME_FIELD.search(path.name)
    assert match is not None, path
    width = int(match.group(1) or 0)
    digits = "[0-9]" * width if width else "[0-9]*"
    head, tail = (part.replace("%%", "%") for part in (path.name[: match.start()], path.name[match.end() :]))
    return str(Path(glob.escape(str(path.parent))) / f"{glob.escape(head)}{digits}{glob.escape(tail)}")
