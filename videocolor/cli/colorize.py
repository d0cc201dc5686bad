"""`videocolor colorize INPUT... -o OUTPUT`: a video, a photo, a folder of photos (into a folder of photos,
or as an image sequence into a video file), or a batch of videos."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from videocolor.batch.inputs import is_pattern
from videocolor.errors import InputError, OutputError
from videocolor.io.files import IMAGE_SUFFIXES, VIDEO_SUFFIXES, is_sequence_pattern

__all__ = ["options_from_args", "parse_time", "register"]

_TIME = re.compile(r"^(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d*)?|\.\d+)$")


def parse_time(text: str) -> float:
    """Seconds from "12.5", "1:02.5" or "1:01:02.5"."""
    match = _TIME.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (use seconds or [HH:]MM:SS[.ms])")
    a, b, seconds = match.groups()
    hours, minutes = (a, b) if b is not None else (None, a)
    if minutes is not None and (float(seconds) >= 60 or (hours is not None and int(minutes) >= 60)):
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (minutes and seconds go up to 59)")
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "colorize",
        help="colorize a video, a photo or a folder of photos",
        description="Colorize a video (every frame, timestamp, audio and subtitle track kept; the output's "
        "luma is the input's), a photo, or every photo in a folder (-o is then a folder). A folder of "
        "images with a video file as -o (e.g. film scans into reel.mkv) is an image sequence: its images "
        "in frame-number order, at --fps. An -o name with a frame field (frames/reel_%06d.png, .tif, .dpx) "
        "writes numbered images.",
    )
    p.add_argument(
        "input",
        type=Path,
        nargs="+",
        help="video file, image file, or folder of images; several inputs, globs or a folder of videos "
        "are colorized as a batch (as `videocolor batch`) into the folder -o",
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="output file (or folder)")
    p.add_argument(
        "--preset", help="options preset: a name in pipelines/ (e.g. preview, archival-master) or a .toml"
    )
    model = p.add_mutually_exclusive_group()
    model.add_argument("--model", help="a shipped model's name (models/NAME*.safetensors)")
    model.add_argument(
        "--weights", help="a weights file (.safetensors from `models convert-deoldify` or `train export`)"
    )
    p.add_argument(
        "--render-factor",
        type=int,
        help="render size = factor x 16 (default: the weights' own, else 21 video, 35 images)",
    )
    p.add_argument(
        "--render-mode",
        choices=("stretch", "pad"),
        help="stretch to a square (DeOldify) or keep the aspect ratio",
    )
    p.add_argument("--batch-size", type=int, help="frames per model call (default 4)")
    p.add_argument("--device", help="auto | cpu | cuda[:N] (default auto)")
    p.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16", "fp16"),
        help="the model's arithmetic (default auto: bf16 on GPUs and CPUs with AMX/AVX512-BF16, else fp32)",
    )
    p.add_argument(
        "--fps",
        type=float,
        help="frame rate of a folder of images (film scans) colorized as a video (default 24)",
    )
    p.add_argument("--start", type=parse_time, help="start time (seconds or [HH:]MM:SS[.ms])")
    p.add_argument("--duration", type=parse_time, help="length to colorize")
    p.add_argument(
        "--smoothing", choices=("none", "ema", "flow"), help="temporal chroma smoothing (default flow)"
    )
    p.add_argument("--smoothing-strength", type=float, help="0 (off) .. <1 (default 0.95)")
    p.add_argument("--codec", help="video encoder (default libx264; libvpx-vp9 for .webm)")
    p.add_argument("--crf", type=int, help="encoder quality, lower is better (default 18 for x264)")
    p.add_argument("--encoder-preset", help="encoder speed preset, e.g. veryfast, medium, slow")
    p.add_argument("--pix-fmt", help="output pixel format (default: the input's, 10-bit kept where possible)")
    p.add_argument("--container", help="output container format name (default: from the output's suffix)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def options_from_args(args: argparse.Namespace, **extra: Any) -> Any:
    """ColorizeOptions from a preset and the flags a parser defines (absent flags leave preset values);
    `extra` adds or replaces load_options keywords."""
    from videocolor.pipeline import load_options

    def flag(name: str) -> Any:
        return getattr(args, name, None)

    kwargs = {
        "model": flag("model"),
        "weights": flag("weights"),
        "render_factor": flag("render_factor"),
        "render_mode": flag("render_mode"),
        "batch_size": flag("batch_size"),
        "device": flag("device"),
        "precision": flag("precision"),
        "sequence_fps": flag("fps"),
        "start": flag("start"),
        "duration": flag("duration"),
        "overwrite": True if flag("overwrite") else None,
        "smoothing_mode": flag("smoothing"),
        "smoothing_strength": flag("smoothing_strength"),
        "encode_codec": flag("codec"),
        "encode_crf": flag("crf"),
        "encode_preset": flag("encoder_preset"),
        "encode_pix_fmt": flag("pix_fmt"),
        "encode_container": flag("container"),
    }
    return load_options(args.preset, **(kwargs | extra))


class _Bar:
    """A tqdm bar (frames/s, ETA) made at the first update, so that an error before any work prints alone."""

    def __init__(self, unit: str, desc: str | None, quiet: bool) -> None:
        self.unit, self.desc, self.quiet = unit, desc, quiet
        self.bar: Any = None

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(unit=self.unit, desc=self.desc, total=total, disable=self.quiet,
                            dynamic_ncols=True)  # fmt: skip
        if total is not None and self.bar.total != total:
            self.bar.total = max(total, done)
        self.bar.update(done - self.bar.n)

    def finish(self, done: int) -> None:
        """End at the frames actually done: the total was an estimate (from the duration) that can be off."""
        if self.bar is not None and self.bar.total != done:
            self.bar.total = done
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# Options `colorize` shares with `videocolor batch`, by attribute name.
_BATCH_SHARED = (
    "preset",
    "model",
    "weights",
    "render_factor",
    "render_mode",
    "batch_size",
    "device",
    "precision",
    "smoothing",
    "smoothing_strength",
    "codec",
    "crf",
    "encoder_preset",
    "pix_fmt",
    "overwrite",
)


def _is_batch(args: argparse.Namespace) -> bool:
    """Several inputs, a glob, or a folder holding videos and no photos: the batch runner's job."""
    from videocolor.io import media_files

    if len(args.input) > 1 or is_pattern(str(args.input[0])):
        return True
    folder = args.input[0]
    if not folder.is_dir():
        return False
    return not media_files(folder, IMAGE_SUFFIXES, skip=args.output) and bool(
        media_files(folder, VIDEO_SUFFIXES, skip=args.output)
    )


def _run_batch(args: argparse.Namespace) -> int:
    from videocolor.cli import batch

    for flag in ("start", "duration", "container", "fps"):
        if getattr(args, flag) is not None:
            raise InputError(f"--{flag} applies to one input, not to a batch")
    parser = argparse.ArgumentParser(prog="videocolor")
    batch.register(parser.add_subparsers())
    ns = parser.parse_args(["batch", *map(str, args.input), "-o", str(args.output)])
    for name in _BATCH_SHARED:
        setattr(ns, name, getattr(args, name))
    ns.no_progress = args.quiet
    return int(ns.func(ns))


def run(args: argparse.Namespace) -> int:
    from videocolor.io import media_files
    from videocolor.pipeline import colorize_image, colorize_images, colorize_video, is_image

    if _is_batch(args):
        return _run_batch(args)
    options = options_from_args(args)
    src, dst = args.input[0], args.output
    if not src.exists():
        raise InputError(f"input not found: {src}")
    # Scans/frames into a video file or an image sequence (a name with a frame field: reel_%06d.png).
    sequence = src.is_dir() and (dst.suffix.lower() in VIDEO_SUFFIXES or is_sequence_pattern(dst))
    if args.fps is not None and not sequence:
        raise InputError("--fps applies to a folder of images colorized into a video or image sequence")
    if src.is_dir() and not sequence:
        if dst.exists() and not dst.is_dir():
            raise OutputError(f"input is a folder, so the output must be a folder: {dst}")
        bar = _Bar("image", None, args.quiet)
        try:
            written = colorize_images(src, dst, options, progress=bar)
        finally:
            bar.close()
        print(f"videocolor: wrote {len(written)} images under {dst}", file=sys.stderr)
        videos = media_files(src, VIDEO_SUFFIXES, skip=dst)
        if videos:
            print(f"videocolor: {len(videos)} video(s) in {src} left out, e.g. {videos[0].name}: "
                  f"`videocolor batch {src} -o OUTDIR` colorizes them", file=sys.stderr)  # fmt: skip
        return 0
    if dst.is_dir():
        dst = dst / src.name
    if is_image(src):
        colorize_image(src, dst, options)
        print(f"videocolor: wrote {dst}", file=sys.stderr)
        return 0
    bar = _Bar("frame", src.name, args.quiet)
    try:
        report = colorize_video(src, dst, options, progress=bar)
        bar.finish(report.frames)
    finally:
        bar.close()
    print(
        f"videocolor: wrote {dst}: {report.frames} frames in {report.seconds:.1f} s "
        f"({report.fps:.1f} frames/s), "
        f"{report.pix_fmt}, render {report.render_shape[1]}x{report.render_shape[0]} {report.precision}, "
        f"{len(report.copied_streams)} stream(s) copied, {len(report.transcoded_streams)} transcoded",
        file=sys.stderr,
    )
    return 0
