"""`videocolor batch INPUT... -o OUTDIR` (files, folders, globs, CSV/JSONL manifests) and
`videocolor status OUTDIR` (the job store's items and segments)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from videocolor.errors import InputError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch",
        help="colorize many videos, resumably, locally or on a Ray cluster",
        description="Colorize files, folders (tree mirrored under OUTDIR; a folder without videos: each "
        "folder of images in it, film scans, as one video OUTDIR/<path>.mkv), globs and CSV/JSONL manifests "
        "(columns: input, output, and per-item options such as preset, model, weights, render_factor). "
        "Videos are split into segments recorded in OUTDIR/videocolor-jobs.sqlite: run the same command "
        "again after a crash and only unfinished segments are redone.",
    )
    p.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="video file, folder, glob or manifest (.csv/.jsonl)"
    )
    p.add_argument(
        "-o", "--output", metavar="OUTDIR", help="output folder (default for a manifest: its folder)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace outputs that already exist")
    p.add_argument("--no-progress", "--quiet", action="store_true", help="no progress bars")
    g = p.add_argument_group("colorize options (a manifest's columns override them per item)")
    g.add_argument("--preset", help="a preset in pipelines/ or a .toml file")
    model = g.add_mutually_exclusive_group()
    model.add_argument("--model", help="a shipped model's name")
    model.add_argument("--weights", help="a weights file (.safetensors)")
    g.add_argument("--render-factor", type=int, help="render size = factor x 16")
    g.add_argument("--render-mode", choices=("stretch", "pad"))
    g.add_argument("--batch-size", type=int, help="frames per model call")
    g.add_argument("--device", help="auto, cpu, cuda or cuda:N")
    g.add_argument("--precision", choices=("auto", "fp32", "bf16", "fp16"), help="the model's arithmetic")
    g.add_argument("--smoothing", choices=("none", "ema", "flow"), help="temporal chroma smoothing")
    g.add_argument("--smoothing-strength", type=float)
    g.add_argument("--codec", help="video encoder, e.g. libx264")
    g.add_argument("--crf", type=int, help="encoder quality (lower is better)")
    g.add_argument("--encoder-preset", help="encoder speed preset, e.g. veryfast, medium, slow")
    g.add_argument("--pix-fmt", help="output pixel format (default: the input's)")
    g.add_argument("--fps", type=float, help="the rate of folders of images (film scans) (default 24)")
    s = p.add_argument_group("segments and executors")
    s.add_argument("--segment-seconds", type=float, default=30.0, help="target segment length (default 30)")
    s.add_argument("--min-segment-seconds", type=float, default=10.0)
    s.add_argument("--max-segment-seconds", type=float, default=60.0)
    s.add_argument(
        "--warmup-frames", type=int, default=48, help="frames before a segment that warm the smoother up"
    )
    s.add_argument(
        "--no-scene-cuts", action="store_true", help="cut at keyframes only (no extra decode pass)"
    )
    s.add_argument("--executor", choices=("local", "ray"), default="local")
    s.add_argument("--address", metavar="HOST:PORT", help="Ray cluster address (default: start a local one)")
    s.add_argument("--workers", type=int, help="Ray actors (default: one per GPU, else one per CPU)")
    p.set_defaults(func=run_batch_command)

    st = sub.add_parser("status", help="show a batch job's items and segments")
    st.add_argument("outdir", metavar="OUTDIR")
    st.add_argument("--segments", action="store_true", help="list every segment too")
    st.set_defaults(func=run_status_command)


_OPTION_FLAGS = {
    "preset": "preset",
    "model": "model",
    "weights": "weights",
    "render_factor": "render_factor",
    "render_mode": "render_mode",
    "batch_size": "batch_size",
    "device": "device",
    "precision": "precision",
    "smoothing": "smoothing_mode",
    "smoothing_strength": "smoothing_strength",
    "codec": "encode_codec",
    "crf": "encode_crf",
    "encoder_preset": "encode_preset",
    "pix_fmt": "encode_pix_fmt",
    "fps": "sequence_fps",
}


def _store_dir(args: argparse.Namespace) -> Path:
    from videocolor.batch.inputs import is_manifest

    if args.output:
        return Path(args.output)
    manifests = [i for i in args.inputs if is_manifest(i)]
    if manifests and len(manifests) == len(args.inputs):
        return Path(manifests[0]).resolve().parent
    raise InputError("-o OUTDIR is required (except for manifests that give every output)")


def run_batch_command(args: argparse.Namespace) -> int:
    from videocolor.batch import SegmentOptions, expand_inputs, format_table, run_batch
    from videocolor.batch.executors import make_executor
    from videocolor.batch.worker import colorize_options

    options: dict[str, Any] = {
        key: getattr(args, flag) for flag, key in _OPTION_FLAGS.items() if getattr(args, flag) is not None
    }
    colorize_options(options)  # bad flags: one error now, not one per item after the job has started
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be >= 1, got {args.workers}")
    store_dir = _store_dir(args)
    try:
        segments = SegmentOptions(
            target_s=args.segment_seconds,
            min_s=args.min_segment_seconds,
            max_s=args.max_segment_seconds,
            warmup_frames=args.warmup_frames,
            scene_cuts=not args.no_scene_cuts,
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    items = expand_inputs(args.inputs, args.output) if args.output else _manifest_items(args.inputs)
    executor = make_executor(args.executor, address=args.address, workers=args.workers)
    try:
        report = run_batch(
            items,
            store_dir,
            executor,
            options=options,
            segment_options=segments,
            overwrite=args.overwrite,
            progress=not args.no_progress,
        )
    finally:
        executor.close()
    format_table(report.items)
    if report.failed:
        print(f"videocolor: {report.failed} of {len(report.items)} item(s) failed (see the table)",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


def _manifest_items(manifests: list[str]) -> list[Any]:
    from videocolor.batch.inputs import read_manifest

    return [item for m in manifests for item in read_manifest(m)]


def run_status_command(args: argparse.Namespace) -> int:
    from videocolor.batch.status import print_status

    print_status(Path(args.outdir), segments=args.segments, file=sys.stdout)
    return 0
