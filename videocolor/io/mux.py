"""MediaWriter: the only code that muxes. Encodes the video, copies audio/subtitles packet-for-packet."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import av
import numpy as np

from videocolor.errors import OutputError
from videocolor.io.chapters import window_chapters
from videocolor.io.decode import SWS_MATRIX, SWS_RANGE, plane_array
from videocolor.io.hdr import encoder_params
from videocolor.io.layout import choose_layout, container_for
from videocolor.io.probe import _MATRIX_NAMES, _PRIMARIES_NAMES, _TRANSFER_NAMES, MediaInfo, open_input
from videocolor.io.timecode import shift_timecode

__all__ = ["EncodeOptions", "MediaWriter"]

log = logging.getLogger("videocolor")
T = TypeVar("T")

_MATRIX_CODES = {v: k for k, v in _MATRIX_NAMES.items()}
_PRIMARIES_CODES = {v: k for k, v in _PRIMARIES_NAMES.items()}
_TRANSFER_CODES = {v: k for k, v in _TRANSFER_NAMES.items()}
# Untagged sources: the matrix the pipeline assumed is written out, so players agree with the merge.
_MATRIX_TAG_OF = {"bt601": "smpte170m", "bt709": "bt709", "bt2020": "bt2020nc"}
# Muxers that list a codec but only write it as "experimental" (unplayable in practice).
_EXPERIMENTAL = {("mp4", "vorbis"), ("mov", "vorbis"), ("mov", "opus")}
# Muxers without a codec-tag table list only their defaults; what their stream-type tables take besides.
_ALSO_TAKES = {
    "mpegts": {"h264", "hevc", "mpeg1video", "mpeg4", "aac", "aac_latm", "ac3", "eac3", "mp3", "opus",
               "dts", "truehd", "s302m", "dvb_subtitle", "dvb_teletext", "timed_id3", "smpte_klv"},
}  # fmt: skip
# For MPEG-4 Part 2 the number is its fixed quantiser (2-31): 3 looks like x264's CRF 18.
_DEFAULT_CRF = {"libx264": 18, "libx265": 20, "libvpx-vp9": 15, "libvpx": 6, "libsvtav1": 30, "mpeg4": 3}
_TEXT_SUBTITLES = ("mov_text", "subrip", "webvtt", "ass")  # text subtitle encoders, in order of preference
# The model dominates a colorize run's CPU time; on real footage x264 veryfast at CRF 18 makes files the
# size of medium's for a third of the encoding time (4.9 vs 13.7 ms per 640x480 frame here).
_DEFAULT_PRESET = {"libx264": "veryfast", "libx265": "fast"}
# With no preset asked for, x264's veryfast also searches less: a diamond motion search, intra partitions
# only, one B-frame (set where B-frames are set). On 11 clips at 854x480 that is 75 % of veryfast's CPU
# per frame for 4 % more bytes at equal PSNR; superfast is 65 % for 18 % more (benchmarks/encoder.py).
_DEFAULT_X264_PARAMS = ["me=dia", "partitions=i8x8,i4x4"]
# Encoders that write the SAR into the bitstream; muxers take it from the AVStream, which PyAV cannot set.
_SAR_IN_BITSTREAM = {"libx264", "libx265", "mpeg4", "mpeg2video"}
# x264's flag for the field shown first, by the source's field order (coded first, shown first).
_X264_FIELDS = {"tt": "tff", "bt": "tff", "bb": "bff", "tb": "bff"}
_IMAGE_ENCODERS = {".png": "png", ".tif": "tiff", ".tiff": "tiff", ".dpx": "dpx"}  # image sequences' frames
_INTERLEAVE_S = 0.5  # copy side-stream packets up to this far ahead of the last video packet
# Container metadata the muxer writes itself.
_DROP_METADATA = {"encoder", "major_brand", "minor_version", "compatible_brands"}


def _default_ass_header() -> bytes:
    """FFmpeg's own ASS header (what its SubRip decoder starts from), for an ASS track stored without
    one: text subtitle encoders cannot open without a header."""
    decoder = av.CodecContext.create("subrip", "r")
    decoder.open()
    return decoder.subtitle_header


@dataclass(frozen=True)
class EncodeOptions:
    """Video encoder settings; None picks a default from the input and the output container."""

    codec: str | None = None  # libx264 where the container takes H.264 (AVI: MPEG-4), else its default
    crf: int | None = None  # quality (lower is better; MPEG-4 Part 2: its quantiser); codec default when None
    preset: str | None = None  # encoder speed preset (x264/x265/SVT-AV1); default x264 veryfast (lighter
    # still: _DEFAULT_X264_PARAMS), x265 fast
    pix_fmt: str | None = None  # default: the input's chroma subsampling and bit depth, if the codec allows
    container: str | None = None  # FFmpeg format name; default from the output file's suffix
    threads: int = 0  # 0: encoder's own choice


class MediaWriter:
    """Write one output file: the encoded video plus every audio/subtitle stream of `info.path`.

    Streams are copied packet-for-packet where the output container takes their codec; otherwise audio is
    transcoded (AAC, or the container's own default), text subtitles converted (mov_text, SubRip, WebVTT)
    and bitmap subtitles dropped, each with a warning.
    `window` = (first, end) video pts selects a trimmed range: every stream is cut to it and shifted so the
    output starts at the window's start. With `video_from` (a stream of already encoded packets, e.g. a
    part of a batch job), the video is not encoded: `write_packet` muxes those packets as they are."""

    def __init__(
        self,
        path: str | Path,
        info: MediaInfo,
        options: EncodeOptions = EncodeOptions(),
        *,
        window: tuple[int, int | None] | None = None,
        copy_streams: bool = True,
        video_from: av.video.stream.VideoStream | None = None,
    ) -> None:
        self.path = Path(path)
        self.info = info
        self.warnings: list[str] = []
        self.copied: list[int] = []
        self.transcoded: list[int] = []
        self._undecodable: set[int] = set()  # transcoded streams with packets that did not decode
        self._offset = window[0] if window else 0
        tb = info.time_base
        self._window_s = None if window is None else (
            window[0] * tb, None if window[1] is None else window[1] * tb
        )  # fmt: skip
        fmt = container_for(self.path, options.container)
        # MP4/MOV edit lists (a start offset) count in the movie timescale, 1/1000 s by default: use the
        # video's own, so the first pts survives exactly.
        muxer_options = {"movie_timescale": str(info.time_base.denominator)} if fmt in ("mp4", "mov") else {}
        if fmt == "mpegts":  # B-frames start dts before pts: TS timestamps wrap, so keep every pts as is
            muxer_options["avoid_negative_ts"] = "disabled"
        if fmt in ("mp4", "mov") and any(key.startswith("com.") for key in info.metadata):
            muxer_options["movflags"] = "use_metadata_tags"  # reverse-DNS keys (com.apple.quicktime.*)
        try:
            self._out = av.open(str(self.path), "w", format=fmt, options=muxer_options)
        except (av.error.FFmpegError, ValueError) as exc:
            raise OutputError(f"cannot write {self.path}: {exc}") from None
        self._side: av.container.InputContainer | None = None
        self._plan: dict[int, tuple[av.stream.Stream, av.stream.Stream | None]] = {}
        self._durations: dict[int, int] = {}  # pts -> duration of frames sent to the encoder
        self._end = 0  # end of the last frame shown (max pts + duration)
        self._held: av.Packet | None = None
        self._last: av.VideoFrame | None = None  # held back one frame, so that close() knows the last
        self._open_cues: list[av.Packet] = []  # converted subtitles that last until the video's end
        try:
            # The input, opened once: its metadata, chapters and attachments, then its side streams' packets.
            self._side = open_input(info.path, info.sequence_fps)
            self._setup_video(options, video_from, self._side)
            if copy_streams:
                self._setup_side_streams(self._side)
            if not self._plan:
                self._close_side()
        except BaseException:
            self.abort()
            raise

    # -- setup -----------------------------------------------------------------------------------------
    def _setup_video(
        self,
        options: EncodeOptions,
        video_from: av.video.stream.VideoStream | None,
        source: av.container.InputContainer,
    ) -> None:
        info, out = self.info, self._out
        self._encoding = video_from is None
        if video_from is None:
            stream = self._setup_encoder(options)
        else:
            try:
                stream = out.add_stream_from_template(video_from)
            except ValueError:
                name = video_from.codec_context.name
                raise OutputError(f"{out.format.name} output does not take {name} video") from None
            stream.time_base = video_from.time_base
            stream.codec_context.framerate = info.fps  # MOV/MP4 build a timecode's tmcd track from it
        metadata = source.streams[info.video_index].metadata
        stream.metadata.update({k: v for k, v in metadata.items() if k in ("language", "title")})
        if info.timecode:
            self._set_timecode(stream, info.timecode)
        chapters = source.chapters()
        if self._window_s is not None:
            chapters = window_chapters(chapters, *self._window_s)
        if chapters:
            out.set_chapters(chapters)
        self._copy_attachments(source)
        self._warn_dropped_data(source)
        out.metadata.update({k: v for k, v in info.metadata.items() if k.lower() not in _DROP_METADATA})
        self._video = stream

    def _copy_attachments(self, source: av.container.InputContainer) -> None:
        """Matroska's attached files (the fonts an ASS subtitle track is styled with, cover art)."""
        found = list(source.streams.attachments)
        if not found:
            return
        if self._out.format.name != "matroska":
            names = ", ".join(a.name or f"#{a.index}" for a in found)
            self._warn(f"{len(found)} attachment(s) dropped ({names}): {self._out.format.name} does not take"
                       " attachments; .mkv keeps them")  # fmt: skip
            return
        for a in found:
            self._out.add_attachment(
                a.name or f"attachment{a.index}", a.mimetype or "application/octet-stream", a.data
            )

    def _warn_dropped_data(self, source: av.container.InputContainer) -> None:
        """Data streams (SCTE-35 cues, camera metadata tracks) are not copied; a MOV/MP4 timecode track is
        rebuilt from the timecode instead."""
        dropped = [f"#{s.index}" for s in source.streams if s.type == "data" and "timecode" not in s.metadata]
        if dropped:
            self._warn(f"data stream(s) {', '.join(dropped)} not copied: only audio, subtitle and"
                       " attachment streams are")  # fmt: skip

    def _setup_encoder(self, options: EncodeOptions) -> av.video.stream.VideoStream:
        info, out = self.info, self._out
        codec = options.codec or self._default_codec()
        self.layout = choose_layout(info, codec, options.pix_fmt)
        try:
            stream = out.add_stream(codec, rate=info.fps)
        except ValueError:
            raise OutputError(f"{out.format.name} output does not take {codec} video") from None
        stream.width, stream.height = info.width, info.height
        stream.pix_fmt = self.layout.encoder_pix_fmt or self.layout.pix_fmt
        ctx = stream.codec_context
        ctx.time_base = info.time_base
        stream.time_base = info.time_base
        ctx.thread_count = options.threads
        if info.sar != 1:
            ctx.sample_aspect_ratio = info.sar
            if codec not in _SAR_IN_BITSTREAM:
                self._warn(f"the output loses the pixel aspect ratio {info.sar} (players show square pixels):"
                           f" {codec} has no field for it and PyAV cannot tag the container's stream;"
                           " H.264 (.mp4, .mkv) keeps it")  # fmt: skip
        ctx.color_range = 2 if self.layout.color_range == "full" else 1
        if self.layout.color_range != info.color_range:
            self._warn(f"the {info.color_range}-range input is written as {self.layout.color_range} range"
                       f" (the same picture): {codec} has no other")  # fmt: skip
        ctx.colorspace = _MATRIX_CODES[info.matrix_tag or _MATRIX_TAG_OF[info.matrix]]
        if info.primaries:
            ctx.color_primaries = _PRIMARIES_CODES[info.primaries]
        if info.transfer:
            ctx.color_trc = _TRANSFER_CODES[info.transfer]
        opts: dict[str, str] = {}
        crf = options.crf if options.crf is not None else _DEFAULT_CRF.get(codec)
        if crf is not None and codec == "mpeg4":
            ctx.qscale = True  # a flag: the quantiser itself is pinned by qmin = qmax
            ctx.qmin = ctx.qmax = crf
        elif crf == 0 and codec == "libx264":
            opts["qp"] = "0"  # lossless at every bit depth (CRF 0 is not above 8 bits)
        elif crf is not None and codec != "libx265":
            opts["crf"] = str(crf)
            if codec.startswith("libvpx"):
                opts["b"] = "0"  # constant quality
        preset = options.preset or _DEFAULT_PRESET.get(codec)
        if preset and codec in ("libx264", "libx265", "libsvtav1"):
            opts["preset"] = preset
        if codec.startswith("libvpx"):
            opts.update({"row-mt": "1", "deadline": "good", "cpu-used": "5"})
        light_x264 = codec == "libx264" and not options.preset
        # Entries of the encoder's own params option (x264-params, ...).
        params = list(_DEFAULT_X264_PARAMS) if light_x264 else []
        if info.field_order and codec == "libx264":
            # Interlaced coding (field pictures/MBAFF) in the source's field order, which FFmpeg also
            # writes as the stream's field order: players deinterlace it as they did the source.
            params.append(f"interlaced=1:{_X264_FIELDS[info.field_order]}=1")
        elif info.field_order:
            self._warn(f"the output is flagged progressive: the interlaced ({info.field_order}) input's"
                       f" fields stay woven in each frame, but {codec} is not set up for interlaced coding"
                       " here; libx264 (.mp4, .mkv, .mov) keeps the field order")  # fmt: skip
        if codec == "libsvtav1":  # SVT-AV1 prints a banner and notes at each start unless told (1: errors)
            os.environ.setdefault("SVT_LOG", "1")
        if codec == "libx265":  # its CRF and lossless mode go through x265-params; quiet its banner
            params += ["log-level=error", "lossless=1" if crf == 0 else f"crf={crf}"]
        if info.mastering_display or info.light_level:
            hdr = encoder_params(codec, info.mastering_display, info.light_level)
            if hdr is None:
                self._warn(f"the output loses the HDR10 mastering-display/light-level metadata: {codec}"
                           " cannot be set up to write it here; x264, x265 and SVT-AV1 keep it")  # fmt: skip
            params += hdr or []
        if info.frame_metadata:
            self._warn(f"the output loses the video stream's {' and '.join(info.frame_metadata)}: the"
                       " re-encoded frames cannot carry them over here")  # fmt: skip
        if params:
            opts[f"{codec.removeprefix('lib')}-params"] = ":".join(params)
        ctx.options = opts
        if out.format.name in ("avi", "flv"):
            # AVI stores no pts (reordered frames play out of order); FLV no negative dts, so B-frames'
            # delay would shift every timestamp.
            ctx.max_b_frames = 0
        elif light_x264:
            ctx.max_b_frames = 1
        if info.rotation:
            stream.set_display_rotation(info.rotation)
        self._frame_tags = (ctx.color_range, ctx.colorspace, ctx.color_primaries, ctx.color_trc)
        return stream

    def _default_codec(self) -> str:
        """H.264 where the container takes it; AVI gets FFmpeg's own choice, MPEG-4 Part 2: AVI stores no
        pts, and FFmpeg's readers label each H.264 frame there with the next frame's time. An image
        sequence: the encoder of its suffix."""
        if self._out.format.name == "image2":
            suffix = self.path.suffix.lower()
            if suffix not in _IMAGE_ENCODERS:
                raise OutputError(
                    f"image sequences are written as {', '.join(_IMAGE_ENCODERS)}, not {suffix}"
                )
            return _IMAGE_ENCODERS[suffix]
        default = self._out.default_video_codec
        if self._out.format.name != "avi" and self._accepts("h264"):
            return "libx264"
        return {"vp9": "libvpx-vp9", "vp8": "libvpx"}.get(default, default)

    def _accepts(self, codec: str) -> bool:
        name = self._out.format.name
        takes = codec in self._out.supported_codecs or codec in _ALSO_TAKES.get(name, ())
        return takes and (name, codec) not in _EXPERIMENTAL

    def _setup_side_streams(self, side: av.container.InputContainer) -> None:
        info = self.info
        if not info.audio and not info.subtitles:
            return
        if self._out.format.name == "image2":
            self._warn(f"{len(info.audio) + len(info.subtitles)} audio/subtitle stream(s) not written: an"
                       " image sequence holds pictures only")  # fmt: skip
            return
        for s in [*info.audio, *info.subtitles]:
            src = side.streams[s.index]
            if self._accepts(s.codec):
                dst = self._out.add_stream_from_template(src)
                dst.metadata.update(src.metadata)
                dst.disposition = src.disposition
                self._plan[s.index] = (dst, None)
                self.copied.append(s.index)
            elif s.type == "audio":
                target = "aac" if self._accepts("aac") else self._out.default_audio_codec
                encoder = {"opus": "libopus"}.get(target, target)
                dst = self._out.add_stream(encoder, rate=s.sample_rate if encoder != "libopus" else 48000)
                dst.layout = src.codec_context.layout
                dst.metadata.update(src.metadata)
                self._plan[s.index] = (dst, src)
                self.transcoded.append(s.index)
                self._warn(f"audio stream #{s.index} ({s.codec}) transcoded to {target}: "
                           f"{self._out.format.name} does not take {s.codec}")  # fmt: skip
            elif (target := self._text_subtitle_target(src)) is not None:
                src.codec_context.open()  # the decoder's ASS header is what the encoder starts from
                dst = self._out.add_stream(target)
                dst.codec_context.subtitle_header = src.codec_context.subtitle_header or _default_ass_header()
                dst.time_base = src.time_base
                dst.metadata.update(src.metadata)
                self._plan[s.index] = (dst, src)
                self.transcoded.append(s.index)
                self._warn(f"subtitle stream #{s.index} ({s.codec}) converted to {target}: "
                           f"{self._out.format.name} does not take {s.codec}")  # fmt: skip
            else:
                hint = "" if self._accepts("subrip") else "; .mkv keeps most subtitle formats"
                self._warn(f"subtitle stream #{s.index} ({s.codec}) dropped: "
                           f"{self._out.format.name} does not take {s.codec}{hint}")  # fmt: skip
        if not self._plan:
            return
        for index, _ in enumerate(side.streams):
            if index not in self._plan:
                side.streams[index].discard = av.stream.Discard.all
        if self._window_s is not None and self._window_s[0] > 0:
            side.seek(int(self._window_s[0] * av.time_base), backward=True)
        self._packets = side.demux([side.streams[i] for i in self._plan])
        self._pending: av.Packet | None = None

    def _text_subtitle_target(self, src: av.stream.Stream) -> str | None:
        """A text subtitle codec this container takes, for a text (not bitmap) subtitle stream."""
        codec = src.codec_context.codec if src.codec_context is not None else None
        if codec is None or not codec.text_sub:
            return None
        return next((c for c in _TEXT_SUBTITLES if self._accepts(c)), None)

    def _set_timecode(self, stream: av.video.stream.VideoStream, timecode: str) -> None:
        """The source's start timecode (MOV/MP4 write it as a tmcd track), moved to a --start's frame."""
        skipped_s = (self._offset - (self.info.start_pts or 0)) * self.info.time_base if self._window_s else 0
        frames = round(skipped_s * self.info.fps)
        try:
            stream.metadata["timecode"] = shift_timecode(timecode, frames, self.info.fps)
        except ValueError as exc:
            self._warn(f"the timecode is not copied: {exc}")

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning(message)

    # -- writing -----------------------------------------------------------------------------------------
    def write(self, planes: tuple[np.ndarray, np.ndarray, np.ndarray], pts: int, duration: int) -> None:
        """Encode one frame from its Y, Cb, Cr code-value planes (layout.dtype, layout's sizes)."""
        frame = av.VideoFrame(self.layout.width, self.layout.height, self.layout.pix_fmt)
        # Encoders such as ProRes write each frame's own colour tags, not the stream's.
        frame.color_range, frame.colorspace, frame.color_primaries, frame.color_trc = self._frame_tags
        for i, plane in enumerate(planes):
            plane_array(frame, i, self.layout.dtype)[...] = plane
        if self.layout.encoder_pix_fmt is not None:  # an RGB-only encoder: 4:4:4 to RGB, exact matrix
            frame = frame.reformat(
                format=self.layout.encoder_pix_fmt,
                src_colorspace=SWS_MATRIX[self.info.matrix],
                src_color_range=SWS_RANGE[self.layout.color_range],
            )
        frame.pts = pts - self._offset
        frame.duration = duration
        frame.time_base = self.info.time_base
        self._durations[frame.pts] = duration
        self._end = max(self._end, frame.pts + duration)
        if self._last is not None:
            self._encode(self._last)
        self._last = frame

    def write_packet(self, packet: av.Packet) -> None:
        """Mux one already encoded video packet (`video_from` mode), its pts in the output's time base."""
        packet.stream = self._video
        if packet.pts is not None and packet.duration:
            self._end = max(self._end, packet.pts + packet.duration)
        self._mux_video(packet)

    def _encode(self, frame: av.VideoFrame | None) -> None:
        try:
            for packet in self._video.encode(frame):
                # Encoders that reorder (B-frames) hand out packets with another frame's duration.
                if packet.pts is not None and packet.pts in self._durations:
                    packet.duration = self._durations.pop(packet.pts)
                self._mux_video(packet)
        except av.error.FFmpegError as exc:
            raise OutputError(f"cannot encode/write {self.path}: {exc.strerror or exc}") from None

    def _end_video(self) -> None:
        """Mux the last video packet. MP4/MOV keep frame durations as dts steps and end the track (its edit
        list) at the last packet's pts + duration: that must be the end of the last frame shown, or a VFR
        clip's long last frame is cut short."""
        held = self._held
        if held is not None and self._out.format.name in ("mp4", "mov") and held.pts is not None:
            held.duration = self._end - held.pts
        try:
            self._mux_video(None)
        except av.error.FFmpegError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from None

    def _mux_video(self, packet: av.Packet | None) -> None:
        """Mux the packet held back (the last one's duration may still change), then hold `packet`."""
        held, self._held = self._held, packet
        if held is not None:
            self._out.mux(held)
            if held.dts is not None:
                self._copy_side(float(held.dts * held.time_base) + _INTERLEAVE_S)

    def _copy_side(self, until: float | None) -> None:
        """Mux side-stream packets whose time (relative to the output) is below `until` (None: all)."""
        if self._side is None:
            return
        start_s, end_s = self._window_s or (Fraction(0), None)
        shift = float(start_s) if self._window_s else 0.0
        while True:
            packet = self._pending
            if packet is None:
                packet = next(self._packets, None)
                if packet is None:
                    self._close_side()
                    return
            if packet.size == 0:  # demuxer flush packets: a subtitle decoder may still hold a cue
                self._pending = None
                dst, decoder = self._plan[packet.stream.index]
                if decoder is not None and packet.stream.type == "subtitle":
                    self._convert_cues(packet, dst, decoder)
                continue
            ts = packet.pts if packet.pts is not None else packet.dts
            t = float(ts * packet.time_base) if ts is not None else 0.0
            if until is not None and t - shift > until:
                self._pending = packet
                return
            self._pending = None
            if self._window_s is not None and (t < start_s or (end_s is not None and t >= end_s)):
                continue
            dst, decoder = self._plan[packet.stream.index]
            delta = int(round(shift / packet.time_base)) if shift else 0
            if decoder is None:
                if packet.pts is not None:
                    packet.pts -= delta
                if packet.dts is not None:
                    packet.dts -= delta
                packet.stream = dst
                self._out.mux(packet)
            elif packet.stream.type == "subtitle":
                self._convert_cues(packet, dst, decoder)
            else:
                for frame in self._decode_side(packet, decoder.decode):
                    if frame.pts is not None:
                        frame.pts -= delta
                    for out_packet in dst.encode(frame):
                        self._out.mux(out_packet)

    def _decode_side(self, packet: av.Packet, decode: Callable[[av.Packet], list[T]]) -> list[T]:
        """Decode a packet of a stream being transcoded; one that does not decode (corrupt data) is
        skipped, with a warning once per stream."""
        try:
            return decode(packet)
        except av.error.FFmpegError as exc:
            stream = packet.stream
            if stream.index not in self._undecodable:
                self._undecodable.add(stream.index)
                self._warn(f"{stream.type} stream #{stream.index}: packets that do not decode were skipped"
                           f" ({exc.strerror or exc})")  # fmt: skip
            return []

    def _convert_cues(self, packet: av.Packet, dst: av.stream.Stream, decoder: av.stream.Stream) -> None:
        """Decode a text subtitle packet and mux what it completes, at the cue's own time: decoders such
        as CEA-608's hand a cue out with a later packet, and the last one only when flushed."""
        found = self._decode_side(packet, lambda p: [decoder.codec_context.decode2(p)])
        cues = found[0] if found else None
        if cues is None or not len(cues):
            return
        tb = decoder.time_base
        if cues.pts is not None and cues.pts > -(1 << 62):  # AV_NOPTS_VALUE: unset
            start = Fraction(cues.pts, 1_000_000) + Fraction(cues.start_display_time, 1000)
        elif packet.pts is not None:
            start = packet.pts * tb
        else:
            return
        window_start, window_end = self._window_s or (Fraction(0), None)
        if start < window_start or (window_end is not None and start >= window_end):
            return
        start -= window_start
        converted = dst.codec_context.encode_subtitle(cues)
        converted.pts = converted.dts = round(start / tb)
        converted.time_base = tb
        converted.stream = dst
        shown_ms = cues.end_display_time - cues.start_display_time
        if 0 < shown_ms < 1 << 31:
            converted.duration = round(Fraction(shown_ms, 1000) / tb)
        elif packet.duration:  # open-ended (0 or UINT32_MAX): until the next cue's packet
            converted.duration = packet.duration
        else:  # or until the video's end, known at close()
            self._open_cues.append(converted)
            return
        self._out.mux(converted)

    def close(self) -> None:
        """Flush the encoders, copy the remaining side-stream packets, finish the file."""
        if self._last is not None:
            if self._out.format.name in ("mp4", "mov"):
                # An I-frame last: no B-frame is coded after it, so the last packet is the last frame shown
                # and ends the track with its own duration. Else the held packet's stretched duration makes
                # the sample table a frame longer than the track (players then read 23.8 fps for 24).
                self._last.pict_type = av.video.frame.PictureType.I
            self._encode(self._last)
        if self._encoding:
            self._encode(None)
        self._end_video()
        self._copy_side(None)
        for cue in self._open_cues:
            cue.duration = max(0, round(self._end * self.info.time_base / cue.time_base) - cue.pts)
            self._out.mux(cue)
        for dst, decoder in self._plan.values():
            if decoder is not None and dst.type == "audio":
                for packet in dst.encode(None):
                    self._out.mux(packet)
        self._out.close()

    def abort(self) -> None:
        """Close without finishing (the caller deletes the file)."""
        self._close_side()
        with contextlib.suppress(av.error.FFmpegError):
            self._out.close()

    def _close_side(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None

    def __enter__(self) -> MediaWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
