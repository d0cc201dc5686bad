"""The packet index of a video stream: every frame's pts and the keyframes, by demuxing (no decoding)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from videocolor.errors import InputError
from videocolor.io.probe import open_input

__all__ = ["PacketIndex", "index_packets"]


@dataclass(frozen=True)
class PacketIndex:
    time_base: Fraction
    pts: tuple[int, ...]  # every frame, presentation order
    keyframes: tuple[int, ...]  # sorted


def index_packets(path: str | Path, sequence_fps: Fraction | None = None) -> PacketIndex:
    """Pts of every frame and of every keyframe of the first video stream, read without decoding. With
    `sequence_fps`, `path` is a folder of images read as a video (see open_input)."""
    try:
        with open_input(path, sequence_fps) as container:
            if not container.streams.video:
                raise InputError(f"{path}: no video stream")
            stream = container.streams.video[0]
            packets = [
                (packet.pts, packet.is_keyframe)
                for packet in container.demux(stream)
                # not the end-of-stream flush packet, nor one an edit list cuts (demuxed, never shown)
                if packet.pts is not None and not packet.is_discard
            ]
            time_base = stream.time_base
    except av.error.FFmpegError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    # Packets before the first keyframe (a stream cut mid-GOP) cannot be decoded: the decoder drops them.
    first_key = next((i for i, (_, key) in enumerate(packets) if key), 0)
    pts = [p for p, _ in packets[first_key:]]
    keys = [p for p, key in packets[first_key:] if key]
    if not pts:
        raise InputError(f"{path}: the video stream has no frames")
    if time_base is None:
        raise InputError(f"{path}: the video stream has no time base")
    # One frame shown per pts: VP8's hidden alt-ref frames come as packets of their own with the next
    # frame's pts (WebM), and decode to nothing.
    pts = sorted(set(pts))
    keys = sorted(set(keys))
    if not keys or keys[0] > pts[0]:
        # No keyframe flagged at all, or B-frames shown before it: the first cut is at pts[0].
        keys.insert(0, pts[0])
    return PacketIndex(Fraction(time_base), tuple(pts), tuple(keys))
