"""Evaluation sets: find the clips of a prediction and its truth, pair them, score them; gray twins.

A path is a video, an image, a folder of frames (one clip, in name order), or a folder of videos (clips
matched by file stem). Videos are decoded to 8-bit RGB by FFmpeg's swscale with the stream's own matrix
and range (as frame extraction with ffmpeg does).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from tqdm import tqdm

from videocolor.color import MATRICES, Matrix, analog_to_code
from videocolor.errors import InputError
from videocolor.io import EncodeOptions, MediaWriter, atomic_output, decode_frames, decode_rgb, probe
from videocolor.io.files import IMAGE_SUFFIXES
from videocolor.metrics.clip import ClipScores, score_clip
from videocolor.pipeline.stages import output_luma

__all__ = ["ClipSource", "evaluate", "find_clips", "make_gray_twin", "read_rgb", "summarize"]


@dataclass(frozen=True)
class ClipSource:
    """One clip: a video file, or image files in display order."""

    name: str
    video: Path | None = None
    images: tuple[Path, ...] = ()


def _is_image(p: Path) -> bool:
    return p.suffix.lower() in IMAGE_SUFFIXES


def find_clips(path: Path, *, photos: bool = False) -> list[ClipSource]:
    """The clips under ``path`` (see the module docstring); ``photos`` makes each image its own clip."""
    if not path.exists():
        raise InputError(f"input not found: {path}")
    if path.is_file():
        return [ClipSource(path.stem, images=(path,)) if _is_image(path) else ClipSource(path.stem, path)]
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    images = [p for p in files if _is_image(p)]
    if images and (photos or len(images) == len(files)):
        return [ClipSource(p.stem, images=(p,)) for p in images] if photos else [
            ClipSource(path.name, images=tuple(images))
        ]  # fmt: skip
    if not files:
        raise InputError(f"no images or videos in {path}")
    return [ClipSource(p.stem, p) for p in files if not _is_image(p)]


def _read_image(p: Path) -> np.ndarray:
    bgr = cv2.imread(str(p), cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError(f"not a readable image: {p}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def read_rgb(clip: ClipSource) -> tuple[Iterator[np.ndarray], Matrix]:
    """The clip's frames as uint8 RGB (h, w, 3), and the matrix that defines its luma."""
    if clip.video is None:
        return (_read_image(p) for p in clip.images), MATRICES["bt601"]  # JPEG/PNG: BT.601 luma
    info = probe(clip.video)
    return decode_rgb(info), MATRICES[info.matrix]


def _pair_clips(pred: list[ClipSource], truth: list[ClipSource]) -> list[tuple[ClipSource, ClipSource]]:
    if len(pred) == 1 and len(truth) == 1:
        return [(pred[0], truth[0])]
    by_name = {c.name: c for c in pred}
    missing = [t.name for t in truth if t.name not in by_name]
    if missing:
        raise InputError(f"no prediction for {len(missing)} truth clip(s), e.g. {missing[0]!r}")
    return [(by_name[t.name], t) for t in truth]


def _pairs(pred: ClipSource, truth: ClipSource, bar: tqdm) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    pred_frames, _ = read_rgb(pred)
    truth_frames, _ = read_rgb(truth)
    counts = [0, 0]
    for p, t in zip_longest(pred_frames, truth_frames):
        counts[0] += p is not None
        counts[1] += t is not None
        if p is not None and t is not None:
            bar.update()
            yield p, t
    if counts[0] != counts[1]:
        raise InputError(f"{truth.name}: {counts[0]} predicted frames but {counts[1]} ground-truth frames")


def evaluate(pred: Path, truth: Path, *, photos: bool, temporal: bool) -> list[ClipScores]:
    """Scores of each truth clip against its prediction (matched by name when there are several)."""
    pairs = _pair_clips(find_clips(pred, photos=photos), find_clips(truth, photos=photos))
    scores = []
    with tqdm(unit="frame", desc="evaluate", disable=None) as bar:
        for p, t in pairs:
            _, matrix = read_rgb(t)
            try:
                scores.append(score_clip(t.name, _pairs(p, t, bar), matrix, temporal=temporal and not photos))
            except ValueError as exc:
                raise InputError(str(exc)) from None
    return scores


def summarize(scores: list[ClipScores]) -> dict[str, Any]:
    """Means over the clips. A metric a clip lacks (None, or CDC's NaN for clips of <= 4 frames) is left
    out of its mean, so that one short clip does not blank the whole set's CDC."""

    def mean(key: str) -> float | None:
        vals = [v for s in scores if (v := getattr(s, key)) is not None and not math.isnan(v)]
        return float(np.mean(vals)) if vals else None

    out = {k: mean(k) for k in ("psnr", "psnr_gray", "ssim", "cf", "cf_truth", "cdc", "cdc_truth")}
    out |= {"warp": mean("warp"), "warp_truth": mean("warp_truth"), "clips": len(scores)}
    out["dcf"] = abs(out["cf"] - out["cf_truth"])  # type: ignore[operator]
    return out


def make_gray_twin(src: Path, dst: Path, *, crf: int | None, overwrite: bool) -> int:
    """Write ``dst``: ``src``'s luma planes as decoded, neutral chroma, audio/subtitles copied. Returns
    the number of frames."""
    info = probe(src)
    frames = 0
    with (
        atomic_output(dst, overwrite=overwrite, inputs=[src]) as tmp,
        MediaWriter(tmp, info, EncodeOptions(crf=crf)) as writer,
    ):
        layout = writer.layout
        zero = torch.zeros(1)
        neutral = int(analog_to_code(zero, bits=layout.bits, value_range=layout.color_range, chroma=True))
        chroma = np.full(layout.chroma_size, neutral, layout.dtype)
        total = info.frame_count
        for frame in tqdm(decode_frames(info), total=total, unit="frame", desc="gray twin", disable=None):
            luma = output_luma(frame.luma, frame.bits, info.color_range, layout)
            writer.write((luma, chroma, chroma), frame.pts, frame.duration)
            frames += 1
    return frames
