"""Streaming decode: frames with their own pts and the Y plane's code values, untouched."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from videocolor.errors import InputError
from videocolor.io.probe import MediaInfo, open_input

__all__ = ["DecodedFrame", "decode_frames", "plane_array", "time_window"]

# swscale's names for a matrix and a range (PyAV's reformat takes them). Non-YUV sources (RGB, palette,
# Bayer) are reduced to luma by swscale with the probed matrix, full range.
SWS_MATRIX = {"bt601": "ITU601", "bt709": "ITU709", "bt2020": "BT2020"}
SWS_RANGE = {"limited": "MPEG", "full": "JPEG"}


@dataclass
class DecodedFrame:
    """One decoded picture. `luma` is the Y plane's code values (h, w) at `bits` bit depth (uint8 or
    uint16), exactly as decoded for YUV and gray sources. `pts`/`duration` are in `time_base` units."""

    index: int
    pts: int
    duration: int
    time_base: Fraction
    luma: np.ndarray
    bits: int


def plane_array(frame: av.VideoFrame, plane: int, dtype: type) -> np.ndarray:
    """A writable (h, w) view of one plane of `frame` (no copy; the frame keeps the memory)."""
    p = frame.planes[plane]
    itemsize = np.dtype(dtype).itemsize
    rows = np.frombuffer(memoryview(p), dtype=dtype).reshape(p.height, p.line_size // itemsize)
    return rows[:, : p.width]


def _luma_of_frame(frame: av.VideoFrame, info: MediaInfo) -> tuple[np.ndarray, int]:
    if not info.is_yuv and not frame.format.name.startswith("gray"):
        deep = frame.format.components[0].bits > 8
        frame = frame.reformat(
            format="yuv444p16le" if deep else "yuv444p",
            dst_colorspace=SWS_MATRIX[info.matrix],
            dst_color_range="JPEG",
        )
    elif frame.format.name.endswith("be"):  # big-endian samples (16-bit PNG, DPX): to this machine's order
        frame = frame.reformat(format=frame.format.name[:-2] + "le")
    bits = frame.format.components[0].bits
    dtype = np.uint16 if bits > 8 else np.uint8
    return plane_array(frame, 0, dtype).copy(), bits


def time_window(
    info: MediaInfo, start: float | None, duration: float | None
) -> tuple[int, int | None] | None:
    """(first, end) video pts for `start`/`duration` seconds from the stream's first frame; None: all."""
    if start is None and duration is None:
        return None
    tb = info.time_base
    first = (info.start_pts or 0) + int(Fraction(start or 0) / tb)
    return first, None if duration is None else first + int(Fraction(duration) / tb)


def decode_frames(
    info: MediaInfo, *, window: tuple[int, int | None] | None = None, threads: int = 0
) -> Iterator[DecodedFrame]:
    """Decode the video stream of `info.path` in presentation order (frame threading on).

    `window` = (first, end) pts (see :func:`time_window`) selects a range: the container seeks to the
    keyframe before `first`; earlier frames are decoded and dropped."""
    tb = info.time_base
    origin = info.start_pts or 0
    first_ok, end = window if window is not None else (None, None)
    step = max(1, round(1 / (info.fps * tb))) if info.fps else 1
    with open_input(info.path, info.sequence_fps) as container:
        stream = container.streams[info.video_index]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        if first_ok is not None and first_ok > origin:
            container.seek(first_ok, stream=stream, backward=True)
        index, last_pts, last_end = 0, None, None
        try:
            for frame in container.decode(stream):
                pts = (
                    frame.pts if frame.pts is not None else (origin if last_pts is None else last_pts + step)
                )
                last_pts = pts
                if first_ok is not None and pts < first_ok:
                    continue
                if end is not None and pts >= end:
                    break
                if (frame.width, frame.height) != (info.width, info.height):
                    frame = frame.reformat(width=info.width, height=info.height)
                luma, bits = _luma_of_frame(frame, info)
                duration = int(frame.duration or step)
                last_end = pts + duration
                yield DecodedFrame(index, pts, duration, tb, luma, bits)
                index += 1
        except av.error.FFmpegError as exc:
            raise InputError(
                f"corrupt video data in {info.path} after frame {index}: {exc.strerror or exc}"
            ) from None
    if window is None:
        _check_complete(info, index, None if last_end is None else (last_end - origin) * tb, last_end)


def _check_complete(info: MediaInfo, frames: int, span: Fraction | None, end_pts: int | None) -> None:
    """A file whose video ends (last pts + duration) well short of what its header declares is truncated
    or corrupt. Headers disagree on whether the declared duration counts from 0 or from the first frame,
    so the video must fall short of both readings."""
    if info.frame_count and frames < 0.9 * info.frame_count - 2:
        raise InputError(
            f"truncated or corrupt: {info.path} declares {info.frame_count} frames, {frames} decode"
        )
    if not info.video_duration or span is None or end_pts is None:
        return
    reached = max(float(span), float(end_pts * info.time_base)) + 2 / float(info.fps)
    if reached < 0.9 * info.video_duration:
        raise InputError(
            f"truncated or corrupt: the video of {info.path} stops at {float(span):.2f} s "
            f"of a declared {info.video_duration:.2f} s"
        )


def decode_rgb(info: MediaInfo) -> Iterator[np.ndarray]:
    """The video stream's frames as uint8 R'G'B' (h, w, 3), converted by swscale with the stream's own
    matrix and range (as frame extraction with ffmpeg does), in presentation order."""
    with open_input(info.path, info.sequence_fps) as container:
        stream = container.streams[info.video_index]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                yield frame.to_ndarray(
                    format="rgb24",
                    src_colorspace=SWS_MATRIX[info.matrix],
                    src_color_range=SWS_RANGE[info.color_range],
                )
        except av.error.FFmpegError as exc:
            raise InputError(f"corrupt video data in {info.path}: {exc.strerror or exc}") from None
