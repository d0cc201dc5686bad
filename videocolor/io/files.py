"""Which files are photos and which videos (by suffix), the media files under a folder as folder jobs
(batches, photo folders, evaluation sets) walk them, and the glob that reads a folder as an image sequence."""

from __future__ import annotations

import glob
import os
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from videocolor.errors import InputError
from videocolor.io.timecode import frame_rate

__all__ = [
    "IMAGE_SUFFIXES",
    "SEQUENCE_SUFFIXES",
    "VIDEO_SUFFIXES",
    "ImageSequence",
    "image_sequence",
    "is_sequence_pattern",
    "media_files",
    "pattern_glob",
    "sequence_rate",
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


def sequence_rate(path: Path, fps: float) -> Fraction | None:
    """The rate `path` is read at as a video: a folder of images (scans) at `fps`; None: a file (its own)."""
    return frame_rate(fps) if path.is_dir() else None


@dataclass(frozen=True)
class ImageSequence:
    """How FFmpeg's image2 demuxer reads a folder's images: `pattern` with its `options`, `frames` images."""

    pattern: str
    options: dict[str, str]
    frames: int


def image_sequence(folder: Path) -> ImageSequence:
    """The images directly in `folder` (not hidden ones, such as macOS's ._ files) that share its most
    common image suffix (as spelled). Numbered with one prefix and no gaps (scans: reel_0086400.dpx, ...;
    or f1 ... f10), in number order through a printf pattern, which every FFmpeg reads; else in name order
    through a glob (not in FFmpeg's Windows builds). InputError if the folder holds no images."""
    files = [p.name for p in folder.iterdir() if p.suffix.lower() in SEQUENCE_SUFFIXES and p.name[0] != "."]
    if not files:
        raise InputError(f"no images ({', '.join(sorted(SEQUENCE_SUFFIXES))}) in {folder}")
    suffix = Counter(Path(f).suffix for f in files).most_common(1)[0][0]
    names = [f for f in files if f.endswith(suffix)]
    field = _number_field([_NUMBERED.fullmatch(n[: -len(suffix)]) for n in names])
    if field is not None:
        head, digits, first = field
        name = f"{head.replace('%', '%%')}{digits}{suffix.replace('%', '%%')}"  # %% is a literal % there
        pattern = os.path.join(str(folder).replace("%", "%%"), name)
        return ImageSequence(pattern, {"pattern_type": "sequence", "start_number": str(first)}, len(names))
    pattern = f"{glob.escape(str(folder))}/*{glob.escape(suffix)}"
    return ImageSequence(pattern, {"pattern_type": "glob"}, len(names))


def _number_field(matches: list[re.Match[str] | None]) -> tuple[str, str, int] | None:
    """(prefix, printf field, first number) where every name is the prefix and a number, without gaps:
    %0Nd if all have N digits, %d if none is zero-padded."""
    if not all(matches):
        return None
    heads = {m.group(1) for m in matches if m}
    runs = [m.group(2) for m in matches if m]
    numbers = sorted(int(r) for r in runs)
    if len(heads) != 1 or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return None
    widths = {len(r) for r in runs}
    if len(widths) == 1:
        return heads.pop(), f"%0{widths.pop()}d", numbers[0]
    if not any(r.startswith("0") and len(r) > 1 for r in runs):
        return heads.pop(), "%d", numbers[0]
    return None


# A file name's last run of digits (a frame number) and what comes before it.
_NUMBERED = re.compile(r"(.*?)(\d+)")
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
