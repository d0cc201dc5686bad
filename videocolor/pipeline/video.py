"""colorize_video(): probe, decode, colorize, encode and mux one file, atomically."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from videocolor.errors import InputError
from videocolor.io import (
    DecodedFrame,
    MediaInfo,
    MediaWriter,
    VideoLayout,
    atomic_output,
    check_output,
    container_for,
    decode_frames,
    probe,
    time_window,
)
from videocolor.io.files import sequence_rate
from videocolor.pipeline.model import load_colorizer
from videocolor.pipeline.options import ColorizeOptions
from videocolor.pipeline.stages import Colorizer, OutputFrame, colorize_frames, render_shape

__all__ = [
    "ColorizeReport",
    "Progress",
    "colorize_decoded",
    "colorize_video",
    "expected_frames",
    "probe_input",
]

Progress = Callable[[int, int | None], None]  # (frames done, frames expected or None)


@dataclass(frozen=True)
class ColorizeReport:
    input: Path
    output: Path
    frames: int
    seconds: float
    render_shape: tuple[int, int]
    precision: str
    pix_fmt: str
    copied_streams: tuple[int, ...]
    transcoded_streams: tuple[int, ...]
    warnings: tuple[str, ...]

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def expected_frames(info: MediaInfo, options: ColorizeOptions) -> int | None:
    """How many frames the options' time range holds, estimated from the duration where not declared."""
    if options.start is None and options.duration is None:
        return info.frame_count or (round(info.duration * info.fps) if info.duration else None)
    total = info.duration or None
    if options.duration is not None:
        total = options.duration if total is None else min(options.duration, total - (options.start or 0))
    elif total is not None:
        total -= options.start or 0
    return max(0, round(total * info.fps)) if total is not None else None


def probe_input(src: Path, options: ColorizeOptions) -> MediaInfo:
    """probe() of a video file, or of a folder of images read as a video at `options.sequence_fps`."""
    return probe(src, sequence_rate(src, options.sequence_fps))


def colorize_decoded(
    frames: Iterable[DecodedFrame],
    info: MediaInfo,
    options: ColorizeOptions,
    colorizer: Colorizer,
    layout: VideoLayout,
) -> Iterator[OutputFrame]:
    """colorize_frames for frames decoded from `info`'s file, with its matrix and range and the options'
    smoothing (the one call a whole file and a batch segment share)."""
    return colorize_frames(
        frames,
        colorizer,
        layout=layout,
        matrix=info.matrix,
        value_range=info.color_range,
        smoothing=options.smoothing,
        queue_size=options.queue_size,
    )


def colorize_video(
    src: str | Path,
    dst: str | Path,
    options: ColorizeOptions | None = None,
    *,
    progress: Progress | None = None,
    colorizer: Colorizer | None = None,
) -> ColorizeReport:
    """Colorize `src` into `dst`: every frame with its own pts, the input's luma, audio and subtitles
    copied. A folder `src` is an image sequence (io.files.image_sequence) at `options.sequence_fps`.
    Nothing appears at `dst` unless the whole file was written."""
    options = options or ColorizeOptions()
    src, dst = Path(src), Path(dst)
    check_output(dst, overwrite=options.overwrite, inputs=[src])
    container_for(dst, options.encode.container)
    info = probe_input(src, options)
    colorizer = colorizer or load_colorizer(options, kind="video")
    window = time_window(info, options.start, options.duration)
    expected = expected_frames(info, options)
    started = time.perf_counter()
    with atomic_output(dst, overwrite=options.overwrite, inputs=[src]) as tmp:
        writer = MediaWriter(tmp, info, options.encode, window=window)
        try:
            frames = colorize_decoded(
                decode_frames(info, window=window), info, options, colorizer, writer.layout
            )
            count = 0
            with closing(frames):  # on error or Ctrl-C, stop the stage threads before cleaning up
                for frame in frames:
                    writer.write(frame.planes, frame.pts, frame.duration)
                    count += 1
                    if progress is not None:
                        progress(count, expected)
            if count == 0:
                raise InputError(
                    f"no video frames to colorize in {src}" + (" in that time range" if window else "")
                )
            writer.close()
        except BaseException:
            writer.abort()
            raise
    (rh, rw), _ = render_shape(info.height, info.width, colorizer.render_size, colorizer.render_mode)
    return ColorizeReport(
        input=src,
        output=dst,
        frames=count,
        seconds=time.perf_counter() - started,
        render_shape=(rh, rw),
        precision=colorizer.precision,
        pix_fmt=writer.layout.encoder_pix_fmt or writer.layout.pix_fmt,
        copied_streams=tuple(writer.copied),
        transcoded_streams=tuple(writer.transcoded),
        warnings=tuple(writer.warnings),
    )
