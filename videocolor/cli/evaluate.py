"""`videocolor evaluate PRED GT`: colorization metrics per clip and per frame; `--gray-out` makes gray twins.

PRED and GT are each a video, an image, a folder of frames (one clip, in name order), or a folder of
videos (clips matched by file stem). Definitions: ../shared/METRICS.md; the warping error's flow is OpenCV
DIS (preset "medium") on the truth's luma. Videos are decoded to 8-bit RGB by FFmpeg's swscale with the
stream's own matrix and range (as frame extraction with ffmpeg does).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
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
from videocolor.metrics.clip import ClipScores, score_clip

__all__ = ["ClipSource", "find_clips", "make_gray_twin", "read_rgb", "register"]

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
_DEFINITIONS = "../shared/METRICS.md; warping-error flow: OpenCV DIS (medium) on the truth's luma"


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


def _summary(scores: list[ClipScores]) -> dict[str, Any]:
    def mean(key: str) -> float | None:
        vals = [getattr(s, key) for s in scores if getattr(s, key) is not None]
        return float(np.mean(vals)) if vals else None

    out = {k: mean(k) for k in ("psnr", "psnr_gray", "ssim", "cf", "cf_truth", "cdc", "cdc_truth")}
    out |= {"warp": mean("warp"), "warp_truth": mean("warp_truth"), "clips": len(scores)}
    out["dcf"] = abs(out["cf"] - out["cf_truth"])  # type: ignore[operator]
    return out


def _plain(value: Any) -> Any:
    """JSON-safe: inf/nan become the strings "inf"/"nan" (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


_COLUMNS = [("psnr", "PSNR"), ("psnr_gray", "gray"), ("ssim", "SSIM"), ("cf", "CF"), ("cf_truth", "CF_gt"),
            ("dcf", "dCF"), ("cdc", "CDC"), ("cdc_truth", "CDC_gt"), ("warp", "WE"),
            ("warp_truth", "WE_gt")]  # fmt: skip


def _table(scores: list[ClipScores], summary: dict[str, Any]) -> str:
    def cell(key: str, v: float | None) -> str:
        if v is None:
            return "-"
        if key.startswith("warp"):
            return f"{v * 1000:.3f}"
        return f"{v:.4f}" if key.startswith("cdc") else f"{v:.2f}"

    width = max([len(s.name) for s in scores] + [8])
    head = f"{'clip':<{width}} {'frames':>6} " + " ".join(f"{h:>7}" for _, h in _COLUMNS)
    rows = [head]
    for s in scores:
        rows.append(
            f"{s.name:<{width}} {s.frames:>6} "
            + " ".join(f"{cell(k, getattr(s, k)):>7}" for k, _ in _COLUMNS)
        )
    if len(scores) > 1:
        frames = sum(s.frames for s in scores)
        rows.append(
            f"{'mean':<{width}} {frames:>6} " + " ".join(f"{cell(k, summary[k]):>7}" for k, _ in _COLUMNS)
        )
    rows.append(
        "PSNR/SSIM on 8-bit RGB; gray = the truth's gray twin vs the truth; WE = warping error x 1e-3"
    )
    return "\n".join(rows)


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
        neutral = int(analog_to_code(zero, bits=layout.bits, value_range=info.color_range, chroma=True))
        chroma = np.full(layout.chroma_size, neutral, layout.dtype)
        total = info.frame_count
        for frame in tqdm(decode_frames(info), total=total, unit="frame", desc="gray twin", disable=None):
            luma = frame.luma.astype(np.int64)
            shift = layout.bits - frame.bits  # e.g. a 10-bit source into an 8-bit-only encoder
            luma = luma << shift if shift >= 0 else (luma + (1 << (-shift - 1))) >> -shift
            writer.write((luma.astype(layout.dtype), chroma, chroma), frame.pts, frame.duration)
            frames += 1
    return frames


def _run(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths]
    if args.gray_out is not None:
        if len(paths) != 1:
            raise InputError(
                "--gray-out takes exactly one colour input: videocolor evaluate --gray-out GRAY COLOR"
            )
        n = make_gray_twin(paths[0], Path(args.gray_out), crf=args.crf, overwrite=args.overwrite)
        print(f"wrote {args.gray_out}: {n} frames, luma of {paths[0]}, chroma neutral")
        return 0
    if len(paths) != 2:
        raise InputError("evaluate takes a prediction and a ground truth: videocolor evaluate PRED GT")
    scores = evaluate(paths[0], paths[1], photos=args.photos, temporal=not args.no_warp)
    summary = _summary(scores)
    if args.json:
        clips = []
        for s in scores:
            d = dataclasses.asdict(s)
            if not args.per_frame_json:
                d.pop("per_frame")
            clips.append(d)
        doc = {"definitions": _DEFINITIONS, "summary": summary, "clips": clips}
        json.dump(_plain(doc), sys.stdout, indent=1)
        print()
    else:
        print(_table(scores, summary))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="score a colorization against the truth (PSNR, SSIM, colourfulness, CDC, warping error)",
        description="videocolor evaluate PRED GT [--json], or videocolor evaluate --gray-out GRAY COLOR "
        "to write the gray twin of a colour clip (luma kept, chroma neutral, audio copied).",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="PRED GT (or, with --gray-out, COLOR)")
    p.add_argument("--json", action="store_true", help="print JSON (per clip, with per-frame numbers)")
    p.add_argument("--no-per-frame", dest="per_frame_json", action="store_false",
                   help="leave per-frame numbers out of the JSON")  # fmt: skip
    p.add_argument("--photos", action="store_true", help="folders of images are photo sets, not clips")
    p.add_argument("--no-warp", action="store_true", help="skip the warping error (the slowest metric)")
    p.add_argument("--gray-out", metavar="GRAY", help="write the gray twin of the one input here")
    p.add_argument("--crf", type=int, default=0, help="gray twin quality (default 0: lossless with H.264)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --gray-out file")
    p.set_defaults(func=_run)
