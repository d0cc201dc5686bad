"""The segment worker: decode a segment (plus warm-up frames), colorize it, encode it into a part file.

The same class runs in the driver process (local executor) and as a Ray actor; it keeps each model it
loads, so a worker loads a model once however many segments it colorizes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from videocolor.batch.faults import crash_point
from videocolor.errors import VideocolorError
from videocolor.io import DecodedFrame, MediaInfo, MediaWriter, decode_frames
from videocolor.io.files import sequence_rate
from videocolor.pipeline import (
    ColorizeOptions,
    Colorizer,
    colorize_decoded,
    load_colorizer,
    load_options,
    probe_input,
    weights_path,
)
from videocolor.runtime import tune_process

__all__ = ["SegmentResult", "SegmentTask", "SegmentWorker"]


@dataclass(frozen=True)
class SegmentTask:
    segment_id: int
    item_id: int
    index: int
    input: str
    output: str  # the item's final output (its suffix picks the part container)
    part: str  # where the finished part goes
    start_pts: int
    end_pts: int | None
    warmup_pts: int | None
    frames: int
    options: dict[str, Any]  # the item's colorize options as plain data


@dataclass(frozen=True)
class SegmentResult:
    task: SegmentTask
    seconds: float
    error: str | None = None
    warnings: tuple[str, ...] = ()  # what the encode changed (e.g. a SAR VP9 cannot carry)


def temp_part(part: Path) -> Path:
    return part.with_name(f"{part.stem}.tmp{part.suffix}")


class SegmentWorker:
    def __init__(self, tune: bool = False) -> None:
        if tune:  # a Ray actor: a process of its own, which the command line's tuning did not reach
            tune_process()
        self._models: dict[str, Any] = {}

    def run(self, task: SegmentTask, progress: Callable[[int], None] | None = None) -> SegmentResult:
        """Colorize one segment; a failure comes back as a one-line error, never as an exception."""
        started = time.perf_counter()
        part = Path(task.part)
        tmp = temp_part(part)
        try:
            part.parent.mkdir(parents=True, exist_ok=True)
            written, warnings = _colorize_segment(task, self, tmp, progress)
            if written != task.frames:
                raise VideocolorError(
                    f"{task.input}: segment {task.index} gave {written} frames, the plan says {task.frames}"
                )
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, part)
        except Exception as exc:  # noqa: BLE001 - any failure fails this item, not the batch
            tmp.unlink(missing_ok=True)
            message = str(exc) if isinstance(exc, VideocolorError) else f"{type(exc).__name__}: {exc}"
            return SegmentResult(task, time.perf_counter() - started, message.splitlines()[0])
        return SegmentResult(task, time.perf_counter() - started, warnings=warnings)

    def colorizer(self, options: ColorizeOptions) -> Colorizer:
        """The loaded model for these options, loaded on first use and kept."""
        key = json.dumps(
            [str(weights_path(options)), options.device, options.precision, options.render_factor,
             options.render_mode, options.batch_size]
        )  # fmt: skip
        if key not in self._models:
            self._models[key] = load_colorizer(options, kind="video")
        return self._models[key]


def _segment_frames(task: SegmentTask, info: MediaInfo, lookahead: int) -> Iterator[DecodedFrame]:
    """The warm-up frames, the segment's own, then `lookahead` frames after it (for a backward pass)."""
    first = task.warmup_pts if task.warmup_pts is not None else task.start_pts
    after = 0
    for frame in decode_frames(info, window=(first, None)):
        if task.end_pts is not None and frame.pts >= task.end_pts:
            after += 1
            if after > lookahead:
                return
        yield frame


def _colorize_segment(
    task: SegmentTask, worker: SegmentWorker, tmp: Path, progress: Callable[[int], None] | None
) -> tuple[int, tuple[str, ...]]:
    """Encode the segment's frames into `tmp` with their own pts; frames outside it only feed the smoother.
    Returns the frames written and the writer's warnings."""
    options = colorize_options(task.options)
    info = probe_input(Path(task.input), options)
    colorizer = worker.colorizer(options)
    lookahead = options.smoothing.window if options.smoothing.backward_pass else 0
    count = 0
    with MediaWriter(tmp, info, options.encode, copy_streams=False) as writer:
        frames = colorize_decoded(
            _segment_frames(task, info, lookahead), info, options, colorizer, writer.layout
        )
        with closing(frames):  # on error, stop the stage threads before the writer is aborted
            for frame in frames:
                if frame.pts < task.start_pts or (task.end_pts is not None and frame.pts >= task.end_pts):
                    continue
                writer.write(frame.planes, frame.pts, frame.duration)
                count += 1
                crash_point("segment-frame")
                if progress is not None:
                    progress(1)
    return count, tuple(writer.warnings)


def sequence_fps(source: str | Path, options: dict[str, Any]) -> Fraction | None:
    """The rate a folder of images (scans) is read at, as one video; None for a video file."""
    return sequence_rate(Path(source), colorize_options(options).sequence_fps)


def colorize_options(options: dict[str, Any]) -> ColorizeOptions:
    """The pipeline's options for one item: its preset, then its other keys (a one-line error if bad)."""
    rest = dict(options)
    resolved = load_options(rest.pop("preset", None), **rest)
    if resolved.start is not None or resolved.duration is not None:
        raise VideocolorError("start/duration cannot be used in a batch (each item is colorized whole)")
    return resolved
