"""The segment worker: decode a segment (plus warm-up frames), colorize it, encode it into a part file.

The same class runs in the driver process (local executor) and as a Ray actor; it keeps each model it
loads, so a worker loads a model once however many segments it colorizes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videocolor.batch.faults import crash_point
from videocolor.errors import VideocolorError
from videocolor.pipeline.options import ColorizeOptions, load_options

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


def temp_part(part: Path) -> Path:
    return part.with_name(f"{part.stem}.tmp{part.suffix}")


class SegmentWorker:
    def __init__(self) -> None:
        self._models: dict[str, Any] = {}

    def run(self, task: SegmentTask, progress: Callable[[int], None] | None = None) -> SegmentResult:
        """Colorize one segment; a failure comes back as a one-line error, never as an exception."""
        started = time.perf_counter()
        part = Path(task.part)
        tmp = temp_part(part)
        try:
            part.parent.mkdir(parents=True, exist_ok=True)
            written = _colorize_segment(task, self, tmp, progress)
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
        return SegmentResult(task, time.perf_counter() - started)

    def model(self, options: dict[str, Any]) -> Any:
        raise NotImplementedError


def _segment_frames(task: SegmentTask, info: Any) -> Iterator[tuple[bool, Any]]:
    """(in_segment, frame) for the warm-up frames then the segment's own frames, by exact pts."""
    from videocolor.io import decode_frames

    first = task.warmup_pts if task.warmup_pts is not None else task.start_pts
    for frame in decode_frames(info, window=(first, task.end_pts)):
        inside = frame.pts >= task.start_pts
        if inside:
            crash_point("segment-frame")
        yield inside, frame


def _colorize_segment(
    task: SegmentTask, worker: SegmentWorker, tmp: Path, progress: Callable[[int], None] | None
) -> int:
    raise NotImplementedError


def colorize_options(options: dict[str, Any]) -> ColorizeOptions:
    """The pipeline's options for one item: its preset, then its other keys (a one-line error if bad)."""
    rest = dict(options)
    return load_options(rest.pop("preset", None), **rest)
