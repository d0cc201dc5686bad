"""`videocolor evaluate PRED GT`: colorization metrics per clip and per frame; `--gray-out` makes gray twins.

PRED and GT are each a video, an image, a folder of frames (one clip, in name order), or a folder of
videos (clips matched by file stem): see videocolor.metrics.sets. Definitions: ../shared/METRICS.md; the
warping error's flow is OpenCV DIS (preset "medium") on the truth's luma.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from videocolor.errors import InputError

if TYPE_CHECKING:
    from videocolor.metrics.clip import ClipScores

__all__ = ["register"]

_DEFINITIONS = "../shared/METRICS.md; warping-error flow: OpenCV DIS (medium) on the truth's luma"


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
        if v is None or math.isnan(v):  # not defined for this clip (e.g. CDC of a photo)
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


def _run(args: argparse.Namespace) -> int:
    from videocolor.metrics.sets import evaluate, make_gray_twin, summarize  # torch, PyAV: not for --help

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
    summary = summarize(scores)
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
