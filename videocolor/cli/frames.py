"""`videocolor frames INPUT --out DIR`: per-stage pictures of selected frames, numbers, an HTML report."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from videocolor.cli.colorize import options_from_args, parse_time
from videocolor.errors import InputError, OutputError

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from videocolor.config import config_to_dict
    from videocolor.pipeline import expected_frames, load_colorizer, probe_input
    from videocolor.report import FrameRecord, FrameShots, ReportWriter, Selection, run_debug, summary

    # The folder's --overwrite is not the video output's: frames writes no video.
    options = options_from_args(
        args, overwrite=None, smoothing_backward_pass=False if args.no_backward_pass else None
    )
    if args.every is not None and args.every < 1:
        raise InputError(f"--every must be >= 1, got {args.every}")
    if any(n < 0 for n in args.frame) or any(t < 0 for t in args.time):
        raise InputError("--frame and --time must be >= 0")
    selection = Selection(tuple(args.frame), tuple(args.time), args.every, args.cuts)
    if selection.empty:
        selection = Selection(every=30, cuts=True)
    info = probe_input(args.input, options)
    out: Path = args.out
    if out.exists() and not args.overwrite:
        raise OutputError(f"output exists: {out} (use --overwrite to replace it)")
    if out.exists() and not out.is_dir():
        raise OutputError(f"output is a file, not a report folder: {out}")
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        raise OutputError(f"output folder is missing or not writable: {out.parent}")
    colorizer = load_colorizer(options, kind="video")
    # Build the report beside the target and rename it in at the end: never a half-written folder.
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        writer = ReportWriter(tmp)
        total = expected_frames(info, options)
        with tqdm(total=total, unit="frame", desc="frames", disable=args.quiet) as bar:

            def on_frame(record: FrameRecord, shots: FrameShots | None) -> None:
                writer.add(record, shots)
                bar.update()

            count = run_debug(info, colorizer, options, selection, on_frame=on_frame)
            bar.total = count
        window = " in that time range" if options.start is not None or options.duration is not None else ""
        if count == 0:
            raise InputError(f"no video frames in {args.input}{window}")
        beyond = [n for n in args.frame if n >= count] + [t for t in args.time if t > writer.records[-1].time]
        if beyond:
            raise InputError(f"--frame/--time {beyond[0]} is past the last frame{window} ({count} frames)")
        meta = {
            "input": str(args.input),
            "size": f"{info.width}x{info.height}",
            "matrix": info.matrix,
            "range": info.color_range,
            "render_size": colorizer.render_size,
            "precision": colorizer.precision,
            "smoothing": config_to_dict(options.smoothing),
        }
        writer.finish(meta, summary(writer.records))
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(writer.selected)
    print(f"videocolor: {n} of {len(writer.records)} frames written to {out}; open {out / 'index.html'}",
          file=sys.stderr)  # fmt: skip
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "frames",
        help="debug: pictures of what each colorize stage did to selected frames, plus an HTML report",
        description="Runs the same stages as `colorize` and writes, per selected frame, the decoded frame, "
        "the model input, the raw model colour, the smoothed chroma and the final frame as PNGs, a strip, "
        "a contact sheet, frames.csv/json (every frame's numbers) and index.html (opens with no server). "
        "With no selection: every 30th frame and every scene cut.",
    )
    p.add_argument("input", type=Path, help="video file, or a folder of images (scans) read as a video")
    p.add_argument("--out", type=Path, required=True, help="output folder (created)")
    p.add_argument(
        "--frame",
        type=int,
        action="append",
        default=[],
        help="select frame N, counted from the first frame processed (repeatable)",
    )
    p.add_argument(
        "--time",
        type=parse_time,
        action="append",
        default=[],
        help="select the frame at time T of the input, as --start counts (repeatable)",
    )
    p.add_argument("--every", type=int, help="select every Nth frame")
    p.add_argument("--cuts", action="store_true", help="select the first frame of every shot")
    p.add_argument("--preset", help="options preset, as for colorize")
    model = p.add_mutually_exclusive_group()
    model.add_argument("--model", help="a shipped model's name")
    model.add_argument("--weights", help="a weights file")
    p.add_argument("--render-factor", type=int, help="render size = factor x 16")
    p.add_argument("--render-mode", choices=("stretch", "pad"))
    p.add_argument("--batch-size", type=int)
    p.add_argument("--device", help="auto | cpu | cuda[:N]")
    p.add_argument("--precision", choices=("auto", "fp32", "bf16", "fp16"), help="the model's arithmetic")
    p.add_argument("--fps", type=float, help="a folder of images (scans) read as a video: its rate (24)")
    p.add_argument("--start", type=parse_time, help="start time")
    p.add_argument("--duration", type=parse_time, help="length to process")
    p.add_argument("--smoothing", choices=("none", "ema", "flow"), help="temporal chroma smoothing")
    p.add_argument("--smoothing-strength", type=float, help="0 (off) .. <1")
    p.add_argument("--no-backward-pass", action="store_true", help="causal smoothing only (forward in time)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)
