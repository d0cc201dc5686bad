"""Join a video's part files by stream copy and mux the source's own audio, subtitles and metadata.

No second encode: each part already holds the final encoded video packets with the source's own pts
(every part was encoded from the same settings, so they share one set of codec parameters). Packets of
all streams are interleaved by decode time, as a muxer expects. The result is written to a temporary
name in the output folder and renamed over the final path only once complete.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av

from videocolor.errors import InputError, OutputError

__all__ = ["join_parts", "partial_path"]


def partial_path(final: Path) -> Path:
    """Where an output is written before its atomic rename (same folder, so the rename is atomic)."""
    return final.with_name(f".{final.stem}.partial{final.suffix}")


def _video_packets(parts: Sequence[Path], stream: av.stream.Stream) -> Iterator[av.Packet]:
    last_dts: int | None = None
    for part in parts:
        with av.open(str(part)) as container:
            src = container.streams.video[0]
            if src.time_base != stream.time_base:
                raise OutputError(f"{part}: time base {src.time_base} differs from {stream.time_base}")
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
                packet.stream = stream
                yield packet


def _copied_packets(container: av.container.InputContainer, mapping: dict[int, av.stream.Stream]):
    if not mapping:  # demux() of no streams would mean every stream
        return
    for packet in container.demux(*[container.streams[i] for i in mapping]):
        if packet.size == 0:
            continue
        packet.stream = mapping[packet.stream.index]
        yield packet


def _by_time(packets: Iterator[av.Packet], order: int) -> Iterator[tuple[Fraction, int, av.Packet]]:
    for packet in packets:
        ts = packet.dts if packet.dts is not None else packet.pts  # Matroska stores no dts on keyframes
        yield Fraction(ts or 0) * packet.time_base, order, packet


def join_parts(
    source: Path,
    parts: Sequence[Path],
    output: Path,
    *,
    on_packet: Callable[[], None] | None = None,
) -> None:
    """Write `output` from the parts' video and the source's audio/subtitle streams and metadata."""
    if not parts:
        raise OutputError(f"{output}: nothing to assemble")
    temp = partial_path(output)
    try:
        with (
            av.open(str(source)) as src,
            av.open(str(parts[0])) as first,
            av.open(str(temp), "w") as out,
        ):
            out.metadata.update(src.metadata)
            template = first.streams.video[0]
            video = out.add_stream_from_template(template)
            video.time_base = template.time_base
            # The rate a template stream lacks: MOV/MP4 build the tmcd track of a timecode from it.
            if src.streams.video[0].average_rate:
                video.codec_context.framerate = src.streams.video[0].average_rate
            video.metadata.update(src.streams.video[0].metadata)
            copied: dict[int, av.stream.Stream] = {}
            for stream in src.streams:
                if stream.type in ("audio", "subtitle"):
                    dst = out.add_stream_from_template(stream)
                    dst.time_base = stream.time_base
                    dst.metadata.update(stream.metadata)
                    dst.disposition = stream.disposition
                    copied[stream.index] = dst
            merged = heapq.merge(
                _by_time(_video_packets(parts, video), 0),
                _by_time(_copied_packets(src, copied), 1),
                key=lambda t: (t[0], t[1]),
            )
            for _, _, packet in merged:
                out.mux(packet)
                if on_packet is not None:
                    on_packet()
        with open(temp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, output)
    except av.error.FFmpegError as exc:
        temp.unlink(missing_ok=True)
        raise InputError(f"{source}: cannot assemble {output.name}: {exc.strerror or exc}") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
