"""Probe, decode, encode and mux: the only code that touches media containers."""

from videocolor.io.decode import DecodedFrame, decode_frames, decode_rgb, plane_array, time_window
from videocolor.io.files import media_files
from videocolor.io.index import PacketIndex, index_packets
from videocolor.io.join import join_parts, partial_path
from videocolor.io.layout import VideoLayout, choose_layout, container_for
from videocolor.io.mux import EncodeOptions, MediaWriter
from videocolor.io.output import atomic_output, check_output
from videocolor.io.probe import MediaInfo, StreamInfo, open_input, probe

__all__ = [
    "DecodedFrame",
    "EncodeOptions",
    "MediaInfo",
    "MediaWriter",
    "PacketIndex",
    "StreamInfo",
    "VideoLayout",
    "atomic_output",
    "check_output",
    "choose_layout",
    "container_for",
    "decode_frames",
    "decode_rgb",
    "index_packets",
    "join_parts",
    "media_files",
    "open_input",
    "partial_path",
    "plane_array",
    "probe",
    "time_window",
]
