"""What the encoded video will be: the output container from the file's suffix, and the pixel layout
(format, plane sizes, bit depth, range) an encoder takes for a given input."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np

from videocolor.errors import OutputError
from videocolor.io.files import is_sequence_pattern
from videocolor.io.probe import MediaInfo

if TYPE_CHECKING:  # videocolor.color loads torch, which the io package does not need
    from videocolor.color import Range

__all__ = ["VideoLayout", "choose_layout", "container_for"]

# ProRes has no full-range flag: decoders read its codes as video (limited) range.
_VIDEO_RANGE_ONLY = {"prores_ks", "prores_aw"}
# Image sequences' encoders: RGB, what image readers take (few read TIFF's or DPX's YCbCr).
_IMAGE_CODECS = {"png", "tiff", "dpx"}
# RGB formats to use where the encoder takes no planar YUV (or is one of those), by whether the input is
# deeper than 8 bits.
_RGB_FORMATS = {True: ("rgb48le", "rgb48be", "rgb24"), False: ("rgb24", "rgb48le", "rgb48be")}
_EVEN_ONLY = {"libx264", "libx265"}  # their chroma subsampling needs even frame sizes


@dataclass(frozen=True)
class VideoLayout:
    """The encoded frames' pixel format and plane sizes; what the merge stage must produce."""

    pix_fmt: str
    width: int
    height: int
    bits: int
    chroma_size: tuple[int, int]  # (h, w) of each chroma plane
    color_range: Range  # the input's, unless the codec has video range only
    # An RGB-only encoder's format (PNG, TIFF, DPX: image sequences); the planes are then 4:4:4 YUV,
    # converted by the writer.
    encoder_pix_fmt: str | None = None

    @property
    def dtype(self) -> type:
        return np.uint16 if self.bits > 8 else np.uint8


_SUFFIX_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm",
                   ".avi": "avi", ".ts": "mpegts", ".mts": "mpegts", ".m2ts": "mpegts", ".mxf": "mxf",
                   ".nut": "nut"}  # fmt: skip


def container_for(path: Path, container: str | None = None) -> str:
    """FFmpeg output format name for `path` (or the explicit `container`); image2 for a sequence pattern."""
    if container is None and is_sequence_pattern(path):
        return "image2"
    name = container or _SUFFIX_FORMATS.get(path.suffix.lower())
    if name is None:
        suffix = path.suffix.lower().lstrip(".")
        name = next(
            (f for f in sorted(av.formats_available) if suffix and suffix in _output_extensions(f)), None
        )
    if name is None:
        raise OutputError(f"cannot tell the output container from {path.name!r}; use e.g. .mp4 or .mkv")
    return name


def _output_extensions(name: str) -> set[str]:
    try:
        fmt = av.format.ContainerFormat(name, "w")
    except (ValueError, av.error.FFmpegError):
        return set()
    return set(fmt.extensions)


def _encoder_for(codec: str) -> av.Codec:
    try:
        return av.Codec(codec, "w")
    except (av.error.FFmpegError, ValueError):
        raise OutputError(f"unknown or unavailable video encoder: {codec}") from None


def choose_layout(info: MediaInfo, codec: str, pix_fmt: str | None) -> VideoLayout:
    """Output pixel format: the requested one, else the input's subsampling/bit depth where the encoder
    supports it (10-bit stays 10-bit, 12-bit 12-bit), else 4:2:0, else 10 bits, else 8, else denser chroma
    (8-bit 4:2:0 into ProRes becomes 10-bit 4:2:2). x264/x265 cannot subsample an odd width or height, so
    odd sizes get 4:4:4 there (the size is never changed)."""
    supported = [f.name for f in (_encoder_for(codec).video_formats or [])]
    encoder_pix_fmt = None
    odd = codec in _EVEN_ONLY and (info.width % 2 or info.height % 2)
    if pix_fmt is None:
        sub = {(1, 1): "444", (2, 1): "422"}.get(info.chroma_subsampling, "420") if info.is_yuv else "420"
        sub = "444" if odd else sub
        own = f"{info.bit_depth}le" if info.bit_depth > 8 else ""
        depths = list(dict.fromkeys([own, "10le", ""] if info.bit_depth > 8 else ["", "10le"]))
        # The input's own, else 4:2:0, at its depth, then the other; last, denser chroma (ProRes: 4:2:2+).
        candidates = [f"yuv{s}p{d}" for d in depths for s in (sub, "420")]
        candidates += [f"yuv{s}p{d}" for d in depths for s in ("422", "444")]
        pix_fmt = next((c for c in candidates if not supported or c in supported), None)
        rgb = next((f for f in _RGB_FORMATS[info.bit_depth > 8] if f in supported), None)
        if (pix_fmt is None or codec in _IMAGE_CODECS) and rgb is not None:
            pix_fmt, encoder_pix_fmt = ("yuv444p16le" if "48" in rgb else "yuv444p"), rgb
        if pix_fmt is None:
            raise OutputError(
                f"encoder {codec} takes no planar YUV ({', '.join(supported)}): choose another --codec, "
                "or an output such as .mp4, .mkv or .webm"
            )
    elif supported and pix_fmt not in supported:
        raise OutputError(
            f"encoder {codec} does not take pixel format {pix_fmt} (it takes {', '.join(supported)})"
        )
    fmt = av.VideoFormat(pix_fmt, info.width, info.height)
    if len(fmt.components) < 3 or fmt.is_rgb or not pix_fmt.startswith("yuv"):
        raise OutputError(f"output pixel format must be planar YUV, got {pix_fmt}")
    if odd and (fmt.components[1].width, fmt.components[1].height) != (info.width, info.height):
        raise OutputError(
            f"{codec} cannot encode {pix_fmt} at the odd size {info.width}x{info.height}: "
            f"use --pix-fmt {pix_fmt.replace('420', '444').replace('422', '444')} or a .webm output (VP9)"
        )
    chroma = fmt.components[1]
    value_range = "limited" if codec in _VIDEO_RANGE_ONLY else info.color_range
    bits, chroma_size = fmt.components[0].bits, (chroma.height, chroma.width)
    return VideoLayout(pix_fmt, info.width, info.height, bits, chroma_size, value_range, encoder_pix_fmt)
