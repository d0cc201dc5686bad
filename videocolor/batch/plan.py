"""Segment planning from the packet index (`videocolor.io.index_packets`), cut at keyframes.

A segment starts at a keyframe so a worker can seek straight to it, and holds every frame whose pts is
in [start_pts, end_pts). Frames are counted in presentation order (sorted packet pts), so a B-frame that
is stored after the next keyframe still belongs to the segment it is shown in.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from videocolor.io import PacketIndex

__all__ = ["PlannedSegment", "SegmentOptions", "detect_scene_cuts", "plan_segments"]


@dataclass(frozen=True)
class SegmentOptions:
    """Segment lengths in seconds, and how many frames before a segment warm the smoother up."""

    target_s: float = 30.0
    min_s: float = 10.0
    max_s: float = 60.0
    warmup_frames: int = 48  # the default smoothing (0.95) keeps ~10 % of a frame's colour 45 frames on
    scene_cuts: bool = True  # one extra decode of the input to find cuts (on luma) to prefer

    def __post_init__(self) -> None:
        if not 0 < self.min_s <= self.target_s <= self.max_s:
            raise ValueError("segment lengths must satisfy 0 < min_s <= target_s <= max_s")
        if self.warmup_frames < 0:
            raise ValueError("warmup_frames must be >= 0")


@dataclass(frozen=True)
class PlannedSegment:
    start_pts: int
    end_pts: int | None  # None: to the end of the stream
    warmup_pts: int | None  # the first warm-up frame; None where the segment starts the video
    frames: int


def plan_segments(
    index: PacketIndex, options: SegmentOptions, *, preferred: Sequence[int] = ()
) -> list[PlannedSegment]:
    """Cut at keyframes about `target_s` apart (never closer than `min_s`, where possible within `max_s`).

    `preferred` pts (scene cuts) win over plain keyframes inside the allowed window: the smoother resets
    at a cut anyway, so a seam there cannot show.
    """
    tb = index.time_base
    pts = index.pts
    last = pts[-1]

    def seconds(a: int, b: int) -> float:
        return float((b - a) * tb)

    preferred_keys = sorted(set(preferred) & set(index.keyframes))
    cuts = [pts[0]]
    while True:
        start = cuts[-1]
        candidates = [k for k in index.keyframes if k > start and seconds(k, last) >= options.min_s]
        window = [k for k in candidates if options.min_s <= seconds(start, k) <= options.max_s]
        if window:
            scene = [k for k in preferred_keys if k in window]
            pool = scene or window
            cut = min(pool, key=lambda k: abs(seconds(start, k) - options.target_s))
        else:
            later = [k for k in candidates if seconds(start, k) > options.max_s]
            if not later:
                break
            cut = later[0]
        cuts.append(cut)

    segments = []
    for i, start in enumerate(cuts):
        end = cuts[i + 1] if i + 1 < len(cuts) else None
        lo = bisect.bisect_left(pts, start)
        hi = bisect.bisect_left(pts, end) if end is not None else len(pts)
        # Warm-up even at a detected cut: the smoother's own cut test decides, as it would unsegmented.
        warm = pts[max(0, lo - options.warmup_frames)] if i > 0 and options.warmup_frames else None
        segments.append(PlannedSegment(start, end, warm, hi - lo))
    return segments


def detect_scene_cuts(path: str | Path, sequence_fps: Fraction | None = None) -> list[int]:
    """Pts of the frames that start a new shot, by the smoother's own detector on (subsampled) luma.
    `sequence_fps`: `path` is a folder of images (see videocolor.io.open_input)."""
    from videocolor.io import decode_frames, probe
    from videocolor.temporal import SceneCutDetector

    info = probe(path, sequence_fps)
    detector = SceneCutDetector()
    cuts = []
    scale = float((1 << info.bit_depth) - 1)
    for frame in decode_frames(info):
        # Every 4th pixel in both directions: a histogram needs no more, and it keeps this pass cheap.
        if detector.update(frame.luma[::4, ::4].astype(np.float32) / scale):
            cuts.append(frame.pts)
    return cuts
