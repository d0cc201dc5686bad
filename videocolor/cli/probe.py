"""`videocolor probe INPUT [--json]`: what a media file holds, as the pipeline sees it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "probe", help="show a media file's (or a folder of images') video, audio and subtitle streams"
    )
    p.add_argument("input", type=Path)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--fps", type=float, default=24.0, help="a folder of images: its rate (default 24)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from videocolor.io import probe
    from videocolor.io.files import sequence_rate

    info = probe(args.input, sequence_rate(args.input, args.fps))
    if args.json:
        print(json.dumps(info.to_dict(), indent=2))
        return 0
    tagged = "" if info.matrix_tag else " (untagged: guessed)"
    lines = [
        f"{info.path}: {info.container}, {info.duration or 0:.3f} s",
        f"  video #{info.video_index}: {info.codec} {info.width}x{info.height} SAR {info.sar} "
        f"rotation {info.rotation}, {float(info.fps):.3f} fps (time base {info.time_base}), "
        f"{info.frame_count if info.frame_count is not None else '?'} frames"
        f"{f', timecode {info.timecode}' if info.timecode else ''}",
        f"    {info.pix_fmt} {info.bit_depth}-bit, matrix {info.matrix}{tagged}, {info.color_range} range, "
        f"primaries {info.primaries or '-'}, transfer {info.transfer or '-'}, "
        f"{f'interlaced ({info.field_order})' if info.field_order else 'progressive'}",
    ]
    md, light = info.mastering_display, info.light_level
    if md is not None:
        lines.append(f"    HDR mastering display: R{md.red} G{md.green} B{md.blue} white {md.white}, "
                     f"{md.min_luminance:g}-{md.max_luminance:g} cd/m2")  # fmt: skip
    if light is not None:
        lines.append(f"    HDR content light level: MaxCLL {light.max_cll}, MaxFALL {light.max_fall} cd/m2")
    if info.frame_metadata:
        lines.append(f"    in the video stream: {', '.join(info.frame_metadata)}")
    for s in (*info.audio, *info.subtitles, *info.other):
        extra = f" {s.channels} ch {s.sample_rate} Hz" if s.type == "audio" else ""
        lang = f" [{s.language}]" if s.language else ""
        lines.append(f"  {s.type} #{s.index}: {s.codec}{extra}{lang}{' ' + repr(s.title) if s.title else ''}")
    print("\n".join(lines))
    return 0
