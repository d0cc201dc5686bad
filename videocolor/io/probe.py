"""probe(): what a media file holds, read with PyAV (the first frame is decoded for its tags)."""

from __future__ import annotations

import dataclasses
import errno
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import av
from av.sidedata.sidedata import Type as SideData

from videocolor.errors import InputError
from videocolor.io.files import image_sequence
from videocolor.io.hdr import LightLevel, MasteringDisplay, parse_light_level, parse_mastering_display

if TYPE_CHECKING:  # videocolor.color loads torch, which probing does not need
    from videocolor.color import Range

__all__ = ["MediaInfo", "StreamInfo", "open_input", "probe"]

T = TypeVar("T")

# Frame side data that FFmpeg's encoders cannot be handed from here (PyAV makes new frames without it).
_DROPPED_SIDE_DATA = (
    (SideData.A53_CC, "closed captions (CEA-608/708)"),
    (SideData.DOVI_RPU_BUFFER, "Dolby Vision metadata"),
    (SideData.DYNAMIC_HDR_PLUS, "HDR10+ metadata"),
)

# FFmpeg's AVColorSpace / AVColorPrimaries / AVColorTransferCharacteristic codes -> names; 2 = unspecified.
_MATRIX_NAMES = {0: "rgb", 1: "bt709", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 9: "bt2020nc",
                 10: "bt2020c"}  # fmt: skip
_MATRIX_FAMILY = {"bt709": "bt709", "bt470bg": "bt601", "smpte170m": "bt601", "fcc": "bt601",
                  "smpte240m": "bt709", "bt2020nc": "bt2020", "bt2020c": "bt2020"}  # fmt: skip
_PRIMARIES_NAMES = {1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "film",
                    9: "bt2020", 10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "ebu3213"}  # fmt: skip
# FFmpeg's AVFieldOrder of interlaced video (first letter: field coded first, second: shown first).
_FIELD_ORDERS = {2: "tt", 3: "bb", 4: "tb", 5: "bt"}
_TRANSFER_NAMES = {1: "bt709", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m", 8: "linear",
                   9: "log100", 10: "log316", 11: "iec61966-2-4", 12: "bt1361e", 13: "iec61966-2-1",
                   14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084", 17: "smpte428",
                   18: "arib-std-b67"}  # fmt: skip


@dataclass(frozen=True)
class StreamInfo:
    """An audio, subtitle or other non-video stream."""

    index: int
    type: str
    codec: str
    language: str | None = None
    title: str | None = None
    channels: int | None = None
    sample_rate: int | None = None


@dataclass(frozen=True)
class MediaInfo:
    """The first video stream of a file and the file's other streams.

    `matrix` and `color_range` are what the pipeline uses: the stream's tags, or FFmpeg's usual guess where
    untagged (BT.709 from 720 lines up, else BT.601; yuvj formats full range, else limited).
    `matrix_tag`/`range_tag` are the tags as written (None when unspecified)."""

    path: Path
    container: str
    duration: float | None
    video_index: int
    codec: str
    width: int
    height: int
    sar: Fraction
    rotation: int
    fps: Fraction
    time_base: Fraction
    start_pts: int | None  # the first decoded frame's pts (the stream's start_time can disagree)
    frame_count: int | None
    video_duration: float | None  # seconds, as the container declares it for the video stream
    pix_fmt: str
    bit_depth: int
    chroma_subsampling: tuple[int, int]
    is_yuv: bool
    matrix: str
    color_range: Range
    matrix_tag: str | None
    range_tag: Range | None
    primaries: str | None
    transfer: str | None
    field_order: str | None = None  # interlaced: tt, bb, tb or bt (FFmpeg's names); None: progressive/unknown
    timecode: str | None = None  # SMPTE start timecode (tmcd track, MXF, GOP headers), as FFmpeg reads it
    sequence_fps: Fraction | None = None  # set where `path` is a folder of images read as a video
    mastering_display: MasteringDisplay | None = None  # HDR10 static metadata, from the first frame
    light_level: LightLevel | None = None
    frame_metadata: tuple[str, ...] = ()  # per-frame metadata on the first frame that a re-encode drops
    audio: tuple[StreamInfo, ...] = ()
    subtitles: tuple[StreamInfo, ...] = ()
    other: tuple[StreamInfo, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["path"] = str(self.path)
        for key in ("sar", "fps", "time_base", "sequence_fps"):
            out[key] = None if out[key] is None else str(out[key])
        return out


def open_input(path: str | Path, sequence_fps: Fraction | None = None) -> av.container.InputContainer:
    """Open a file for reading, or with `sequence_fps` a folder's images (film scans, frames) as a video
    at that rate (io.files.image_sequence); every failure is a one-line InputError."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"input not found: {p}")
    if p.is_dir() and sequence_fps is None:
        raise InputError(f"input is a folder, not a media file: {p}")
    try:
        if sequence_fps is None:
            return av.open(str(p))
        sequence = image_sequence(p)
        return av.open(
            sequence.pattern, format="image2", options={**sequence.options, "framerate": str(sequence_fps)}
        )
    except av.error.FFmpegError as exc:
        if sequence_fps is not None and exc.errno == errno.ENOSYS:  # FFmpeg built without glob(): Windows
            message = (f"this FFmpeg reads a folder of images only where they are numbered without gaps (it "
                       f"has no glob patterns): {p}")  # fmt: skip
            raise InputError(message) from None
        raise InputError(f"not a readable media file: {p} ({exc.strerror or exc})") from None


def _range_name(code: int) -> Range | None:
    return {1: "limited", 2: "full"}.get(int(code))  # type: ignore[return-value]


def _stream_info(stream: av.stream.Stream) -> StreamInfo:
    ctx = stream.codec_context
    codec = ctx.codec.canonical_name if ctx is not None else "unknown"
    kwargs: dict[str, Any] = {}
    if stream.type == "audio" and ctx is not None:
        kwargs = {"channels": ctx.channels, "sample_rate": ctx.sample_rate}
    return StreamInfo(
        stream.index, stream.type, codec, stream.language, stream.metadata.get("title"), **kwargs
    )


def probe(path: str | Path, sequence_fps: Fraction | None = None) -> MediaInfo:
    """Read the container and the first decodable video frame; raise InputError where unusable. With
    `sequence_fps`, `path` is a folder of images read as a video at that rate (see open_input)."""
    p = Path(path)
    with open_input(p, sequence_fps) as container:
        videos = [
            s for s in container.streams.video if not (s.disposition & av.stream.Disposition.attached_pic)
        ]
        if not videos:
            raise InputError(f"no video stream in {p}")
        stream = videos[0]
        ctx = stream.codec_context
        if ctx is None or ctx.codec is None:
            raise InputError(f"unsupported video codec in {p}")
        first = first_frame(container, stream, p)
        fmt = first.format
        is_yuv = fmt.name.startswith(("yuv", "yuvj", "nv", "p0", "p2"))
        bits = fmt.components[0].bits
        matrix_tag = _MATRIX_NAMES.get(int(first.colorspace))
        range_tag = _range_name(first.color_range)
        if fmt.name.startswith("yuvj"):
            range_tag = "full"
        fallback_range: Range = "full" if not is_yuv else "limited"
        fps = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(25)
        typical = _typical_rate(container, stream, first.pts)
        if typical is not None and fps > 4 * typical:  # e.g. a Matroska file's 1/1000 time base as its rate
            fps = typical
        chroma = (1, 1)
        if is_yuv and len(fmt.components) >= 3:  # the format's factors, not this size's (639 / 320 is 1)
            c = av.VideoFormat(fmt.name, 64, 64).components[1]
            chroma = (64 // c.width, 64 // c.height)
        return MediaInfo(
            path=p,
            container=container.format.name,
            duration=container.duration / av.time_base if container.duration else None,
            video_index=stream.index,
            codec=ctx.codec.canonical_name,
            width=first.width,
            height=first.height,
            sar=stream.sample_aspect_ratio or Fraction(1),
            rotation=int(first.rotation or 0),
            fps=Fraction(fps),
            time_base=Fraction(stream.time_base),
            start_pts=first.pts if first.pts is not None else stream.start_time,
            # image2 gives a folder's image count as the stream's duration (in frames): no second listing
            frame_count=stream.frames or (stream.duration if sequence_fps else None),
            video_duration=_declared_duration(stream),
            pix_fmt=fmt.name,
            bit_depth=bits,
            chroma_subsampling=chroma,
            is_yuv=is_yuv,
            matrix=_MATRIX_FAMILY.get(matrix_tag or "", "bt709" if first.height >= 720 else "bt601"),
            color_range=range_tag or fallback_range,
            matrix_tag=matrix_tag,
            range_tag=range_tag,
            primaries=_PRIMARIES_NAMES.get(int(first.color_primaries)),
            transfer=_TRANSFER_NAMES.get(int(first.color_trc)),
            field_order=_FIELD_ORDERS.get(int(ctx.field_order)) if first.interlaced_frame else None,
            # Else the bitstream's (MPEG-2 GOP headers, H.264 picture timing), which FFmpeg tags frames with.
            timecode=_timecode(stream.metadata) or _timecode(container.metadata) or _timecode(first.metadata),
            mastering_display=_side_data(first, SideData.MASTERING_DISPLAY_METADATA, parse_mastering_display),
            light_level=_side_data(first, SideData.CONTENT_LIGHT_LEVEL, parse_light_level),
            frame_metadata=tuple(name for kind, name in _DROPPED_SIDE_DATA if _side_data(first, kind, bool)),
            audio=tuple(_stream_info(s) for s in container.streams.audio),
            subtitles=tuple(_stream_info(s) for s in container.streams.subtitles),
            other=tuple(
                _stream_info(s) for s in container.streams if s.type not in ("video", "audio", "subtitle")
            ),
            metadata=dict(container.metadata),
            sequence_fps=sequence_fps,
        )


def _side_data(frame: av.VideoFrame, kind: SideData, parse: Callable[[bytes], T | None]) -> T | None:
    try:
        data = frame.side_data.get(kind)
    except ValueError:  # PyAV cannot list a frame's side data at all where one is of a type it lacks
        return None
    return None if data is None else parse(bytes(data))


def _timecode(metadata: dict[str, str]) -> str | None:
    """MOV/MP4 and MXF tag it `timecode`, Matroska `TIMECODE`."""
    return next((v for k, v in metadata.items() if k.lower() == "timecode"), None)


def _declared_duration(stream: av.video.stream.VideoStream) -> float | None:
    tag = stream.metadata.get("DURATION") or stream.metadata.get("duration")  # Matroska track tag
    if tag and ":" in tag:
        h, m, sec = tag.split(":")
        return int(h) * 3600 + int(m) * 60 + float(sec)
    return float(stream.duration * stream.time_base) if stream.duration else None


def _typical_rate(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, first: int | None
) -> Fraction | None:
    """Frames per second from the median pts step of the next packets (None if too few to tell)."""
    packets = itertools.islice(container.demux(stream), 24)
    times = sorted({p.pts for p in packets if p.pts is not None} | ({first} if first is not None else set()))
    steps = sorted(b - a for a, b in itertools.pairwise(times))
    if len(steps) < 3:
        return None
    return (1 / (steps[len(steps) // 2] * Fraction(stream.time_base))).limit_denominator(1001)


def first_frame(container: av.container.InputContainer, stream: av.video.stream.VideoStream, path: Path):
    """The first decoded frame of `stream` (container left positioned after it)."""
    try:
        for frame in container.decode(stream):
            return frame
    except av.error.FFmpegError as exc:
        raise InputError(f"cannot decode video of {path}: {exc.strerror or exc}") from None
    raise InputError(f"no video frames in {path}")
