"""Join a video's part files by stream copy, with the source's own audio, subtitles and metadata.

No second encode: each part already holds the final encoded video packets with the source's own pts
(every part was encoded from the same settings, so they share one set of codec parameters). The muxing,
side streams included (copied, or transcoded/converted where the container refuses them, as `colorize`
does), is MediaWriter's. The result is written to a temporary name in the output folder and renamed over
the final path only once complete.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av

from videocolor.errors import InputError, OutputError
from videocolor.io.mux import MediaWriter
from videocolor.io.probe import probe

__all__ = ["join_parts", "partial_path"]


def partial_path(final: Path) -> Path:
    """Where an output is written before its atomic rename (same folder, so the rename is atomic)."""
    return final.with_name(f".{final.stem}.partial{final.suffix}")


def _video_packets(parts: Sequence[Path], time_base: Fraction) -> Iterator[av.Packet]:
    last_dts: int | None = None
    for part in parts:
        with av.open(str(part)) as container:
            src = container.streams.video[0]
            if src.time_base != time_base:
                raise OutputError(f"{part}: time base {src.time_base} differs from {time_base}")
            for packet in container.demux(src):
                if packet.size == 0:
                    continue
                # Matroska stores no dts for keyframes: the next free tick keeps dts increasing.
                if packet.dts is None and last_dts is not None and packet.pts is not None:
                    packet.dts = min(packet.pts, last_dts + 1)
                # A part's encoder starts its decode clock a few frames before its first pts; where that
                # reaches back into the previous part (variable frame rate), move it to the next free tick.
                if last_dts is not None and packet.dts is not None and packet.dts <= last_dts:
                    if packet.pts is None or last_dts + 1 > packet.pts:
                        raise OutputError(f"{part}: cannot join parts: decode times overlap at {packet.dts}")
                    packet.dts = last_dts + 1
                last_dts = packet.dts
                yield packet


def join_parts(
    source: Path,
    parts: Sequence[Path],
    output: Path,
    *,
    on_packet: Callable[[], None] | None = None,
    sequence_fps: Fraction | None = None,
) -> list[str]:
    """Write `output` from the parts' video and the source's audio/subtitle streams and metadata; returns
    MediaWriter's warnings (streams transcoded, converted or dropped). `sequence_fps`: the source is a
    folder of images (see open_input)."""
    if not parts:
        raise OutputError(f"{output}: nothing to assemble")
    temp = partial_path(output)
    try:
        info = probe(source, sequence_fps)
        with av.open(str(parts[0])) as first:
            template = first.streams.video[0]
            time_base = Fraction(template.time_base)
            writer = MediaWriter(temp, info, video_from=template)
        with writer:
            for packet in _video_packets(parts, time_base):
                writer.write_packet(packet)
                if on_packet is not None:
                    on_packet()
        with open(temp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, output)
        return writer.warnings
    except av.error.FFmpegError as exc:
        temp.unlink(missing_ok=True)
        raise InputError(f"{source}: cannot assemble {output.name}: {exc.strerror or exc}") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
