"""videocolor.io on clips made by tests/media.py: probe, decode, and the muxer's stream copying."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from media import duration_of, make_audio_only, make_clip, read_attachments, read_packets, read_video
from test_io_hdr import P3

from videocolor.errors import InputError, OutputError
from videocolor.io import (
    EncodeOptions,
    MediaWriter,
    atomic_output,
    check_output,
    decode_frames,
    probe,
    time_window,
)
from videocolor.io.hdr import LightLevel


def _copy_luma(src: Path, dst: Path, **writer_kwargs: object) -> MediaWriter:
    """Re-encode `src` with its own Y plane and neutral chroma through MediaWriter."""
    info = probe(src)
    window = writer_kwargs.pop("window", None)
    with MediaWriter(dst, info, window=window, **writer_kwargs) as writer:  # type: ignore[arg-type]
        layout = writer.layout
        neutral = np.full(layout.chroma_size, 1 << (layout.bits - 1), dtype=layout.dtype)
        for frame in decode_frames(info, window=window):  # type: ignore[arg-type]
            writer.write((frame.luma, neutral, neutral), frame.pts, frame.duration)
    return writer


def _cues(path: Path) -> list[list[bytes]]:
    """Subtitle packets, less the empty samples the MP4 muxer writes between timed-text cues."""
    return [[p for p in stream if p != b"\x00\x00"] for stream in read_packets(path, "subtitle")]


def test_probe_reports_geometry_timing_and_tags(tmp_path: Path) -> None:
    clip = make_clip(
        tmp_path / "a.mov", size=(66, 50), fps=25, rotation=90, sar=Fraction(4, 3), audio=["pcm_s16le"]
    )
    info = probe(clip)
    assert (info.width, info.height, info.sar, info.rotation) == (66, 50, Fraction(4, 3), 90)
    assert info.fps == Fraction(25) and isinstance(info.fps, Fraction)
    assert info.frame_count == 12 and info.pix_fmt == "yuv420p" and info.bit_depth == 8
    assert info.chroma_subsampling == (2, 2) and info.matrix == "bt601" and info.color_range == "limited"
    assert [(s.codec, s.channels) for s in info.audio] == [("pcm_s16le", 2)]


def test_probe_ten_bit_full_range_and_streams(tmp_path: Path) -> None:
    deep = probe(make_clip(tmp_path / "d.mkv", pix_fmt="yuv420p10le"))
    assert (deep.pix_fmt, deep.bit_depth) == ("yuv420p10le", 10)
    full = probe(make_clip(tmp_path / "f.mp4", pix_fmt="yuvj420p", color_range="full"))
    assert full.color_range == "full"
    multi = make_clip(tmp_path / "m.mkv", audio=["libopus", "libmp3lame"], subtitles="subrip", vfr=True)
    multi = probe(multi)
    assert [s.codec for s in multi.audio] == ["opus", "mp3"]
    assert [s.codec for s in multi.subtitles] == ["subrip"]


def test_decode_yields_every_frame_with_its_pts_and_exact_luma(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "v.mkv", frames=16, vfr=True, size=(66, 50))
    truth = read_video(clip)
    frames = list(decode_frames(probe(clip)))
    assert [f.index for f in frames] == list(range(16))
    assert [Fraction(f.pts) * f.time_base for f in frames] == truth.pts
    for frame, luma in zip(frames, truth.luma, strict=True):
        assert np.array_equal(frame.luma, luma)


def test_decode_window_selects_a_time_range(tmp_path: Path) -> None:
    info = probe(make_clip(tmp_path / "w.mp4", frames=24, fps=24))
    frames = list(decode_frames(info, window=time_window(info, 0.25, 0.5)))
    times = [Fraction(f.pts) * f.time_base for f in frames]
    assert times[0] == Fraction(6, 24) and len(frames) == 12


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("aac.mp4", {"audio": ["aac"], "subtitles": "mov_text"}),
        ("bframes.mp4", {"audio": ["libmp3lame"], "bframes": 3, "frames": 20}),
        ("two.mkv", {"audio": ["libopus", "libmp3lame"], "subtitles": "subrip", "vfr": True}),
        ("vp9.webm", {"codec": "libvpx-vp9", "audio": ["libopus"], "subtitles": "webvtt"}),
        ("pcm.mov", {"audio": ["pcm_s16le"], "rotation": 90, "sar": Fraction(4, 3)}),
        ("deep.mkv", {"pix_fmt": "yuv420p10le", "size": (66, 50)}),
        ("full.mp4", {"pix_fmt": "yuvj420p", "color_range": "full"}),
        ("mpeg2.ts", {"codec": "mpeg2video", "audio": ["ac3"]}),
        ("flash.flv", {"bframes": 0, "audio": ["aac"]}),
    ],
)
def test_writer_keeps_frames_pts_streams_and_tags(tmp_path: Path, name: str, kwargs: dict) -> None:
    clip = make_clip(tmp_path / name, **kwargs)
    out = tmp_path / ("out" + clip.suffix)
    writer = _copy_luma(clip, out)
    assert writer.warnings == []
    a, b = read_video(clip), read_video(out)
    assert b.pts == a.pts
    assert (b.rotation, b.sar or 1, b.color_range) == (a.rotation, a.sar or 1, a.color_range or 1)
    assert b.luma[0].dtype == a.luma[0].dtype  # 10-bit stays 10-bit
    assert read_packets(out, "audio") == read_packets(clip, "audio")  # byte-identical
    assert _cues(out) == _cues(clip)
    assert abs(duration_of(out) - duration_of(clip)) <= 1 / Fraction(24)


def test_writer_keeps_container_metadata_and_chapters_cut_to_a_window(tmp_path: Path) -> None:
    tagged = tmp_path / "tagged.mkv"
    with av.open(str(tagged), "w") as dst:
        dst.metadata["title"] = "Reel 3"
        marks = [(1, 0, 250, "Opening"), (2, 250, 500, "Two")]  # ms
        dst.set_chapters(
            [
                {"id": i, "start": a, "end": b, "time_base": Fraction(1, 1000), "metadata": {"title": t}}
                for i, a, b, t in marks
            ]
        )
        video = dst.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        for i in range(12):
            frame = av.VideoFrame(64, 48, "yuv420p")
            frame.pts = i
            for packet in video.encode(frame):
                dst.mux(packet)
        for packet in video.encode():
            dst.mux(packet)
    _copy_luma(tagged, tmp_path / "out.mkv")
    _copy_luma(tagged, tmp_path / "cut.mkv", window=time_window(probe(tagged), 0.125, 0.25))

    def marks_ms(path: Path) -> list[tuple[Fraction, Fraction, str]]:
        with av.open(str(path)) as container:
            return [
                (c["start"] * c["time_base"] * 1000, c["end"] * c["time_base"] * 1000, c["metadata"]["title"])
                for c in container.chapters()
            ]

    with av.open(str(tmp_path / "out.mkv")) as out:
        assert out.metadata.get("title") == "Reel 3"
    assert marks_ms(tmp_path / "out.mkv") == [(0, 250, "Opening"), (250, 500, "Two")]
    # 0.125-0.375 s of the input: the end of the first chapter, the start of the second.
    assert marks_ms(tmp_path / "cut.mkv") == [(0, 125, "Opening"), (125, 250, "Two")]


def test_writer_keeps_quicktime_keys(tmp_path: Path) -> None:
    import av

    src = make_clip(tmp_path / "c.mov", frames=3)
    tagged = tmp_path / "tagged.mov"
    keys = {"movflags": "use_metadata_tags"}
    with av.open(str(src)) as inp, av.open(str(tagged), "w", options=keys) as dst:
        stream = dst.add_stream_from_template(inp.streams.video[0])
        dst.metadata.update({"com.apple.quicktime.model": "iPad 2", "title": "Reel 3"})
        for packet in inp.demux(inp.streams.video[0]):
            if packet.size:
                packet.stream = stream
                dst.mux(packet)
    _copy_luma(tagged, tmp_path / "out.mov")
    with av.open(str(tmp_path / "out.mov")) as out:
        assert out.metadata.get("com.apple.quicktime.model") == "iPad 2"
        assert out.metadata.get("title") == "Reel 3"


def test_mp4_output_ends_with_a_long_last_frame(tmp_path: Path) -> None:
    """A VFR source whose last frame lasts a second: x264's reordered packets must not cut it short."""
    import av

    src = tmp_path / "held.mp4"
    with av.open(str(src), "w") as out:  # MPEG-4 Part 2 without B-frames: packet durations are the frames'
        video = out.add_stream("mpeg4", rate=25)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.codec_context.time_base = Fraction(1, 1000)
        for i, pts in enumerate([0, 40, 100, 130, 200, 240, 300, 340]):
            frame = av.VideoFrame(64, 48, "yuv420p")
            frame.planes[0].update(bytes([20 * i]) * frame.planes[0].buffer_size)
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            for packet in video.encode(frame):
                packet.duration = 1000 if packet.pts == 340 else 40
                out.mux(packet)
        for packet in video.encode():
            packet.duration = 1000 if packet.pts == 340 else 40
            out.mux(packet)
    with av.open(str(src)) as inp:
        assert inp.duration == 1_340_000  # the source really ends a second after its last frame
    for name in ("out.mp4", "out.mov", "out.mkv"):
        _copy_luma(src, tmp_path / name)
        assert read_video(tmp_path / name).pts == read_video(src).pts
        with av.open(str(tmp_path / name)) as out:
            assert out.duration == 1_340_000, name


def test_avi_output_keeps_every_pts(tmp_path: Path) -> None:
    """AVI stores no pts: H.264 with B-frames came back scrambled, without them a frame late."""
    clip = make_clip(tmp_path / "v.mp4", bframes=3, frames=20, audio=["pcm_s16le"])
    writer = _copy_luma(clip, tmp_path / "out.avi")
    assert writer.warnings == [] and probe(tmp_path / "out.avi").codec == "mpeg4"
    assert read_video(tmp_path / "out.avi").pts == read_video(clip).pts
    assert read_packets(tmp_path / "out.avi", "audio") == read_packets(clip, "audio")


def test_vp9_output_warns_that_it_loses_the_pixel_aspect_ratio(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "sar.mp4", sar=Fraction(2, 1))
    assert _copy_luma(clip, tmp_path / "sar.mkv").warnings == []  # x264 carries it in the bitstream
    assert read_video(tmp_path / "sar.mkv").sar == 2
    warnings = _copy_luma(clip, tmp_path / "sar.webm").warnings
    assert len(warnings) == 1 and "pixel aspect ratio 2" in warnings[0]


def test_odd_sized_420_keeps_its_subsampling(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "odd.webm", codec="libvpx-vp9", size=(65, 49))
    assert probe(clip).chroma_subsampling == (2, 2)  # not 65 // 33 x 49 // 25 = (1, 1)
    _copy_luma(clip, tmp_path / "out.webm")  # VP9 subsamples odd sizes: 4:2:0 stays 4:2:0
    assert read_video(tmp_path / "out.webm").pix_fmt == "yuv420p"


def test_writer_transcodes_audio_the_container_refuses(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "a.mp4", audio=["aac"], subtitles="mov_text")
    writer = _copy_luma(clip, tmp_path / "out.webm")
    assert any("transcoded to opus" in w for w in writer.warnings)
    assert any("subtitle stream #2 (mov_text) converted to webvtt" in w for w in writer.warnings)
    out = probe(tmp_path / "out.webm")
    assert [s.codec for s in out.audio] == ["opus"] and [s.codec for s in out.subtitles] == ["webvtt"]
    assert len(read_video(tmp_path / "out.webm").pts) == 12
    assert _cues(tmp_path / "out.webm") == [[b"Dialogue line 0", b"Dialogue line 1", b"Dialogue line 2"]]


def test_writer_converts_text_subtitles_between_containers(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "s.mkv", subtitles="subrip", audio=["libopus"])
    writer = _copy_luma(clip, tmp_path / "out.mp4")
    assert [w.split(":")[0] for w in writer.warnings] == ["subtitle stream #2 (subrip) converted to mov_text"]
    assert _cues(tmp_path / "out.mp4") == [[b"\x00\x0f" + b"Dialogue line %d" % k for k in range(3)]]
    assert read_packets(tmp_path / "out.mp4", "audio") == read_packets(clip, "audio")


def test_an_ass_track_stored_without_its_header_converts_with_ffmpegs_default_one(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "s.mkv", subtitles="ass")  # dialogue lines only, no [Script Info]
    _copy_luma(clip, tmp_path / "out.mp4")
    assert _cues(tmp_path / "out.mp4") == [[b"\x00\x06Line %d" % k for k in range(3)]]


def _garble_packet(src: Path, dst: Path, kind: str, number: int) -> None:
    """Remux `src` with the payload of its `number`th packet of stream type `kind` replaced by noise."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        seen = 0
        for packet in inp.demux():
            if not packet.size:
                continue
            target = streams[packet.stream.index]
            seen += packet.stream.type == kind
            if packet.stream.type == kind and seen == number:
                noise = av.Packet(bytes((i * 37 + 11) % 256 for i in range(packet.size)))
                noise.pts, noise.dts, noise.duration = packet.pts, packet.dts, packet.duration
                noise.time_base, packet = packet.time_base, noise
            packet.stream = target
            out.mux(packet)


def test_a_corrupt_packet_in_a_transcoded_audio_stream_is_skipped_with_a_warning(tmp_path: Path) -> None:
    _garble_packet(
        make_clip(tmp_path / "a.mkv", frames=24, audio=["libmp3lame"]), tmp_path / "bad.mkv", "audio", 5
    )
    writer = _copy_luma(tmp_path / "bad.mkv", tmp_path / "out.webm")  # MP3 to Opus
    assert writer.warnings[-1] == (
        "audio stream #1: packets that do not decode were skipped (Invalid data found when processing input)"
    )
    assert len(read_video(tmp_path / "out.webm").pts) == 24
    assert abs((probe(tmp_path / "out.webm").duration or 0) - 1.0) < 0.1


def test_writer_trims_every_stream_to_the_window(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "t.mkv", frames=48, fps=24, audio=["libopus"])
    info = probe(clip)
    _copy_luma(clip, tmp_path / "cut.mkv", window=time_window(info, 0.5, 1.0))
    cut = read_video(tmp_path / "cut.mkv")
    assert len(cut.pts) == 24 and cut.pts[0] == 0
    audio = probe(tmp_path / "cut.mkv")
    assert audio.duration is not None and abs(audio.duration - 1.0) < 0.1


def test_bad_inputs_are_one_line_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        probe(tmp_path / "missing.mp4")
    (tmp_path / "text.mp4").write_text("hello")
    with pytest.raises(InputError, match="not a readable media file"):
        probe(tmp_path / "text.mp4")
    good = make_clip(tmp_path / "good.mp4", audio=["aac"]).read_bytes()
    (tmp_path / "cut.mp4").write_bytes(good[: len(good) // 2])  # moov atom (at the end) lost
    with pytest.raises(InputError):
        probe(tmp_path / "cut.mp4")
    mkv = make_clip(tmp_path / "good.mkv", frames=24).read_bytes()
    (tmp_path / "head.mkv").write_bytes(mkv[: len(mkv) // 4])  # headers, no complete frame
    with pytest.raises(InputError, match="no video frames"):
        probe(tmp_path / "head.mkv")
    (tmp_path / "cut.mkv").write_bytes(mkv[: len(mkv) * 6 // 10])
    with pytest.raises(InputError, match="truncated"):
        list(decode_frames(probe(tmp_path / "cut.mkv")))


def test_audio_only_file_has_no_video_stream(tmp_path: Path) -> None:
    path = make_audio_only(tmp_path / "sound.m4a")
    with pytest.raises(InputError, match="no video stream"):
        probe(path)


def test_atomic_output_leaves_nothing_on_failure(tmp_path: Path) -> None:
    dst = tmp_path / "out.mkv"
    with pytest.raises(RuntimeError), atomic_output(dst) as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with atomic_output(dst) as tmp:
        tmp.write_bytes(b"done")
    assert dst.read_bytes() == b"done" and list(tmp_path.iterdir()) == [dst]
    with pytest.raises(OutputError, match="exists"), atomic_output(dst):
        pass
    with pytest.raises(OutputError, match="is the input"), atomic_output(dst, overwrite=True, inputs=[dst]):
        pass
    with pytest.raises(OutputError, match="does not exist"), atomic_output(tmp_path / "no" / "x.mp4"):
        pass


def test_hdr10_metadata_is_kept_by_x264_x265_and_svt_av1_and_said_lost_by_vp9(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "pq.mkv", pix_fmt="yuv420p10le", hdr=True, interlaced="tff")
    info = probe(clip)
    assert (info.mastering_display, info.light_level) == (P3, LightLevel(1000, 400))
    for name, codec in (("x264.mp4", None), ("x265.mkv", "libx265")):
        writer = _copy_luma(clip, tmp_path / name, options=EncodeOptions(codec=codec))
        out = probe(tmp_path / name)
        assert not any("HDR10" in w for w in writer.warnings)  # x265: "flagged progressive" only
        assert (out.mastering_display, out.light_level, out.transfer, out.primaries) == (
            P3, LightLevel(1000, 400), "smpte2084", "bt2020",
        )  # fmt: skip
    assert probe(tmp_path / "x264.mp4").field_order == "tt"  # both entries in one x264-params
    _copy_luma(clip, tmp_path / "av1.mkv", options=EncodeOptions(codec="libsvtav1"))
    av1 = probe(tmp_path / "av1.mkv")  # AV1 stores chromaticity in 1/65536, luminance in 1/16384 steps
    assert av1.light_level == LightLevel(1000, 400) and av1.mastering_display is not None
    flat = [np.hstack(dataclasses.astuple(d)) for d in (av1.mastering_display, P3)]
    assert np.allclose(*flat, atol=1e-4)
    writer = _copy_luma(clip, tmp_path / "vp9.webm")
    assert any("loses the HDR10" in w for w in writer.warnings)
    assert probe(tmp_path / "vp9.webm").mastering_display is None


def test_prores_output_keeps_the_colour_tags_it_writes_per_frame(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "pq.mkv", pix_fmt="yuv422p10le", hdr=True)
    _copy_luma(clip, tmp_path / "out.mov", options=EncodeOptions(codec="prores_ks"))
    out = probe(tmp_path / "out.mov")
    assert (out.codec, out.pix_fmt) == ("prores", "yuv422p10le")
    assert (out.matrix_tag, out.range_tag, out.primaries, out.transfer) == (
        "bt2020nc", "limited", "bt2020", "smpte2084",
    )  # fmt: skip


def test_attachments_into_a_container_without_them_are_dropped_with_a_warning(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "fonts.mkv", attachments=[("A.ttf", "font/ttf", b"ttf")])
    writer = _copy_luma(clip, tmp_path / "out.mp4")
    assert writer.warnings == [
        "1 attachment(s) dropped (A.ttf): mp4 does not take attachments; .mkv keeps them"
    ]
    assert read_attachments(tmp_path / "out.mp4") == [] and len(read_video(tmp_path / "out.mp4").pts) == 12


def test_an_image_sequence_appears_whole_replaces_an_earlier_one_or_leaves_nothing(tmp_path: Path) -> None:
    dst = tmp_path / "reel_%03d.png"

    def write(frames: int) -> None:
        with atomic_output(dst, overwrite=True) as tmp:
            for i in range(1, frames + 1):
                Path(str(tmp) % i).write_bytes(b"frame")

    write(15)
    with pytest.raises(OutputError, match=r"output exists: .*reel_001.png and 14 more"), atomic_output(dst):
        pass
    write(12)  # frames 13-15 of the earlier, longer sequence go too
    with pytest.raises(OutputError, match="output frames would go among the input's"):
        check_output(tmp_path / "colour_%03d.png", overwrite=True, inputs=[tmp_path])  # scans -> their folder
    with pytest.raises(OutputError, match="output frames would go among the input's"):
        check_output(dst, overwrite=True, inputs=[tmp_path / "reel_005.png"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"reel_{i:03d}.png" for i in range(1, 13)]
    with pytest.raises(RuntimeError), atomic_output(dst, overwrite=True) as tmp:
        Path(str(tmp) % 1).write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert len(list(tmp_path.iterdir())) == 12 and (tmp_path / "reel_001.png").read_bytes() == b"frame"


def test_interlaced_input_into_an_encoder_not_set_up_for_fields_says_it_is_flagged_progressive(
    tmp_path: Path,
) -> None:
    clip = make_clip(tmp_path / "tff.mkv", interlaced="tff")
    assert probe(clip).field_order == "tt"
    assert probe(_copy_luma(clip, tmp_path / "tff.mp4").path).field_order == "tt"
    writer = _copy_luma(clip, tmp_path / "tff.webm")
    assert len(writer.warnings) == 1 and "flagged progressive" in writer.warnings[0]
    assert (
        probe(tmp_path / "tff.webm").field_order is None and len(read_video(tmp_path / "tff.webm").pts) == 12
    )
