"""Test media made on the fly with PyAV: small clips with exactly the properties a test needs.

`make_clip` writes a clip; `read_video`, `read_packets` and `duration_of` read back what tests compare.
Content: a moving diagonal gradient with a coloured square and some noise, so that encoders have real
work (B-frames, motion) and luma differs from frame to frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

__all__ = [
    "HDR10_DISPLAY",
    "HDR10_LIGHT",
    "DecodedVideo",
    "duration_of",
    "make_clip",
    "make_image",
    "read_attachments",
    "read_packets",
    "read_video",
]

_SAMPLE_RATE = 48000
_AUDIO_RATES = {"libopus": 48000, "opus": 48000, "aac": 48000, "libmp3lame": 44100, "pcm_s16le": 48000}


def _planes_for(frame_index: int, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """An RGB frame (h, w, 3) uint8 with motion, colour and noise."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = (xx + yy + 3 * frame_index) / (width + height) * 200 + 20
    rgb = np.stack([base, base * 0.8 + 20, 255 - base], axis=-1)
    side = max(4, min(width, height) // 3)
    x0 = (2 * frame_index) % max(1, width - side)
    rgb[height // 4 : height // 4 + side, x0 : x0 + side] = (200, 60, 40)
    rgb += rng.normal(0, 6, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _vfr_pts(frames: int) -> list[int]:
    """Millisecond timestamps with irregular gaps (25 to 75 ms)."""
    gaps = [40, 25, 75, 33, 50, 40, 66, 30]
    pts, t = [], 0
    for i in range(frames):
        pts.append(t)
        t += gaps[i % len(gaps)]
    return pts


def _subtitle_packet(codec: str, text: str) -> bytes:
    data = text.encode()
    if codec == "mov_text":  # 3GPP timed text: 16-bit big-endian length prefix
        return len(data).to_bytes(2, "big") + data
    return data


# A grading display (P3 primaries, D65 white, 0.0001-1000 cd/m2) and light levels, in x264's notation.
HDR10_DISPLAY = "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)"
HDR10_LIGHT = "1000,400"


def make_clip(
    path: str | Path,
    *,
    frames: int = 12,
    size: tuple[int, int] = (64, 48),
    fps: int | Fraction = 24,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    audio: Sequence[str] = (),
    subtitles: str | None = None,
    vfr: bool = False,
    rotation: int = 0,
    sar: Fraction | None = None,
    color_range: str | None = None,
    bframes: int = 2,
    interlaced: str | None = None,
    timecode: str | None = None,
    hdr: bool = False,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    first_pts: int = 0,
    seed: int = 0,
) -> Path:
    """Write a clip. `audio` lists one encoder per audio stream ("aac", "libopus", "libmp3lame",
    "pcm_s16le"); `subtitles` is a subtitle codec ("subrip", "mov_text", "webvtt", "ass") or None;
    `vfr` gives irregular millisecond timestamps; `color_range` "full" or "limited" tags the stream;
    `interlaced` ("tff" or "bff", libx264) codes the frames as two fields in that order; `timecode`
    ("01:00:00:00") is the start timecode (a tmcd track in MOV/MP4); `hdr` tags BT.2020/PQ and writes
    HDR10 metadata (HDR10_DISPLAY, HDR10_LIGHT; libx264, best with a 10-bit `pix_fmt`); `attachments` are
    (file name, MIME type, data) of files attached to a Matroska file; `first_pts` (CFR, in frames) is where
    the video's timestamps start."""
    path = Path(path)
    width, height = size
    rng = np.random.default_rng(seed)
    with av.open(str(path), "w") as out:
        video = out.add_stream(codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        ctx = video.codec_context
        if vfr:
            ctx.time_base = Fraction(1, 1000)
        if sar is not None:
            ctx.sample_aspect_ratio = sar
        if color_range is not None:
            ctx.color_range = 2 if color_range == "full" else 1
        if codec in ("libx264", "libx265"):
            ctx.max_b_frames = bframes
            ctx.options = {"bf": str(bframes)} if codec == "libx264" else {}
        params = [f"interlaced=1:{interlaced}=1"] if interlaced is not None else []
        if hdr:
            ctx.color_primaries, ctx.color_trc, ctx.colorspace = 9, 16, 9  # BT.2020, PQ, BT.2020 NCL
            params += [f"mastering-display={HDR10_DISPLAY}", f"cll={HDR10_LIGHT}"]
        if params:
            ctx.options = {**ctx.options, "x264-params": ":".join(params)}
        if rotation:
            video.set_display_rotation(rotation)
        if timecode is not None:
            video.metadata["timecode"] = timecode
        for name, mimetype, data in attachments:
            out.add_attachment(name, mimetype, data)
        audio_streams = [out.add_stream(name, rate=_AUDIO_RATES.get(name, _SAMPLE_RATE)) for name in audio]
        for a in audio_streams:
            a.layout = "stereo"
        sub_stream = None
        if subtitles is not None:
            sub_stream = out.add_mux_stream(subtitles)
            sub_stream.time_base = Fraction(1, 1000)

        pts_ms = _vfr_pts(frames) if vfr else None
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(_planes_for(i, width, height, rng), format="rgb24")
            frame = frame.reformat(format=pix_fmt)
            if pts_ms is not None:
                frame.pts, frame.time_base = pts_ms[i], Fraction(1, 1000)
            else:
                frame.pts = first_pts + i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)

        seconds = (pts_ms[-1] + 40) / 1000 if pts_ms else frames / float(fps)
        for k, a in enumerate(audio_streams):
            rate = a.codec_context.sample_rate
            chunk = a.codec_context.frame_size or 1024
            total = int(seconds * rate)
            t = np.arange(total, dtype=np.float32) / rate
            wave = (0.3 * np.sin(2 * np.pi * (330 + 110 * k) * t)).astype(np.float32)
            for start in range(0, total, chunk):
                part = wave[start : start + chunk]
                af = av.AudioFrame.from_ndarray(np.stack([part, part]), format="fltp", layout="stereo")
                af.sample_rate, af.pts = rate, start
                for packet in a.encode(af):  # PyAV converts to the encoder's sample format
                    out.mux(packet)
            for packet in a.encode():
                out.mux(packet)

        if sub_stream is not None:
            step = max(1, int(seconds * 1000) // 3)
            for k in range(3):
                text = f"Dialogue line {k}" if subtitles != "ass" else f"{k},0,Default,,0,0,0,,Line {k}"
                packet = av.Packet(_subtitle_packet(subtitles, text))
                packet.pts = packet.dts = k * step
                packet.duration = step // 2
                packet.time_base = Fraction(1, 1000)
                packet.stream = sub_stream
                out.mux(packet)
    return path


def make_image(
    path: str | Path, *, size: tuple[int, int] = (64, 48), gray: bool = False, seed: int = 0
) -> Path:
    """Write an 8-bit image (any format cv2 knows from the suffix)."""
    import cv2

    path = Path(path)
    rgb = _planes_for(0, size[0], size[1], np.random.default_rng(seed))
    image = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if gray else rgb[..., ::-1]
    if not cv2.imwrite(str(path), image):
        raise OSError(f"cv2 could not write {path}")
    return path


@dataclass
class DecodedVideo:
    pts: list[Fraction]  # presentation times in seconds, exact
    luma: list[np.ndarray]  # Y plane code values (h, w), uint8 or uint16
    pix_fmt: str
    rotation: int
    sar: Fraction | None
    color_range: int
    colorspace: int


def make_audio_only(path: str | Path) -> Path:
    """A short silent AAC file with no video stream."""
    path = Path(path)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format="fltp", layout="stereo")
        frame.sample_rate = 48000
        for i in range(4):
            frame.pts = i * 1024
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def read_video(path: str | Path) -> DecodedVideo:
    """Every frame's exact presentation time and Y plane."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        result = DecodedVideo([], [], "", 0, stream.sample_aspect_ratio, 0, 0)
        for frame in container.decode(stream):
            plane = frame.planes[0]
            dtype = np.uint16 if frame.format.components[0].bits > 8 else np.uint8
            rows = np.frombuffer(memoryview(plane), dtype=dtype).reshape(frame.height, -1)
            result.luma.append(rows[:, : frame.width].copy())
            result.pts.append(Fraction(frame.pts) * frame.time_base)
            result.pix_fmt, result.rotation = frame.format.name, frame.rotation
            result.color_range, result.colorspace = int(frame.color_range), int(frame.colorspace)
    return result


def read_packets(path: str | Path, kind: str) -> list[list[bytes]]:
    """The raw packet payloads of every stream of one kind ("audio", "subtitle"), per stream."""
    with av.open(str(path)) as container:
        indices = [s.index for s in container.streams if s.type == kind]
        out: dict[int, list[bytes]] = {i: [] for i in indices}
        for packet in container.demux():
            if packet.size and packet.stream.index in out:
                out[packet.stream.index].append(bytes(packet))
    return [out[i] for i in indices]


def read_attachments(path: str | Path) -> list[tuple[str, str, bytes]]:
    """(file name, MIME type, data) of each attached file."""
    with av.open(str(path)) as container:
        return [(a.name, a.mimetype, bytes(a.data)) for a in container.streams.attachments]


def duration_of(path: str | Path) -> Fraction:
    """The video stream's span: last pts + that frame's duration - first pts, in seconds."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [(f.pts, f.duration) for f in container.decode(stream)]
        tb = stream.time_base
    first = min(p for p, _ in frames)
    last, dur = max(frames)
    return Fraction(last - first + (dur or 0)) * tb
