"""The colorize pipeline end to end on generated clips, with a random-weight `tiny` generator."""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from media import duration_of, make_clip, make_image, read_attachments, read_packets, read_video

from videocolor.errors import InputError, OutputError
from videocolor.io import EncodeOptions, MediaWriter, VideoLayout, decode_frames, probe
from videocolor.pipeline import (
    ColorizeOptions,
    OutputFrame,
    colorize_frames,
    colorize_image,
    colorize_images,
    colorize_video,
    load_colorizer,
    ordered_map,
    render_shape,
    threaded,
)
from videocolor.pipeline.stages import output_luma


@pytest.fixture(scope="module")
def options(tiny_weights: Path) -> ColorizeOptions:
    return ColorizeOptions(weights=str(tiny_weights), device="cpu", render_factor=4, batch_size=3)


@pytest.fixture(scope="module")
def colorizer(options: ColorizeOptions):
    return load_colorizer(options)


def _luma_psnr(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    peak = 1023.0 if a[0].dtype == np.uint16 else 255.0
    mse = np.mean(
        [np.mean((x.astype(np.float64) - y.astype(np.float64)) ** 2) for x, y in zip(a, b, strict=True)]
    )
    return float("inf") if mse == 0 else 10 * np.log10(peak**2 / mse)


def test_render_shape_stretch_and_pad() -> None:
    assert render_shape(480, 640, 336, "stretch") == ((336, 336), (336, 336))
    # Same pixel count as 336 x 336 at 4:3: scale 336 / sqrt(480 * 640) -> 291 x 388, padded to 320 x 416.
    assert render_shape(480, 640, 336, "pad") == ((320, 416), (291, 388))
    assert render_shape(50, 66, 64, "pad") == ((64, 96), (56, 74))


def _colorize_clip(clip: Path, colorizer) -> tuple[list[OutputFrame], VideoLayout]:
    """colorize_frames over a whole clip, in the layout its writer would choose."""
    info = probe(clip)
    writer = MediaWriter(clip.with_name("unused.mkv"), info, copy_streams=False)
    writer.abort()
    frames = decode_frames(info)
    out = colorize_frames(
        frames, colorizer, layout=writer.layout, matrix=info.matrix, value_range=info.color_range
    )
    return list(out), writer.layout


def test_colorize_frames_keeps_luma_count_and_pts_exactly(tmp_path: Path, colorizer) -> None:
    clip = make_clip(tmp_path / "v.mkv", frames=14, size=(66, 50), vfr=True)
    frames = list(decode_frames(probe(clip)))
    out, layout = _colorize_clip(clip, colorizer)
    assert [(o.index, o.pts, o.duration) for o in out] == [(f.index, f.pts, f.duration) for f in frames]
    for o, f in zip(out, frames, strict=True):
        assert np.array_equal(o.planes[0], f.luma)  # the output Y plane IS the input's
        assert o.planes[1].shape == layout.chroma_size == (25, 33)
    assert any(np.ptp(o.planes[1]) > 0 or np.ptp(o.planes[2]) > 0 for o in out)  # some colour predicted


def test_two_inference_workers_give_the_same_frames_as_one(tmp_path: Path, colorizer) -> None:
    clip = make_clip(tmp_path / "v.mp4", frames=17, size=(66, 50))
    runs = []
    for workers in (1, 2):
        c = copy.copy(colorizer)
        c.workers = workers
        runs.append(_colorize_clip(clip, c)[0])
    assert [o.pts for o in runs[0]] == [o.pts for o in runs[1]]
    for a, b in zip(*runs, strict=True):
        for pa, pb in zip(a.planes, b.planes, strict=True):
            assert np.array_equal(pa, pb)


def test_bf16_moves_the_shipped_models_chroma_by_a_few_code_values_at_most(tmp_path: Path) -> None:
    # The trained model, not the random one: random weights amplify rounding (up to ~100 codes here).
    options = ColorizeOptions(device="cpu", batch_size=3)
    clip = make_clip(tmp_path / "v.mp4", frames=9, size=(66, 50))
    runs = [_colorize_clip(clip, load_colorizer(replace(options, precision=p)))[0] for p in ("fp32", "bf16")]
    changed = False
    for a, b in zip(*runs, strict=True):
        assert np.array_equal(a.planes[0], b.planes[0])
        for pa, pb in zip(a.planes[1:], b.planes[1:], strict=True):
            diff = np.abs(pa.astype(np.int32) - pb.astype(np.int32))
            # Head and gain in fp32, so the gain scales bf16's rounding: on this flat clip max 3 and mean
            # up to 1.4 per plane with fast.v3 (gain 1.4), max 5 and mean up to 2.4 with fast.v4 (saturated
            # chroma scaled up to ~2.1x; the figures vary with the process's earlier torch work); max 1
            # and mean 0.02-0.03 on 480p footage (bf16 keeps ~3 significant digits)
            assert diff.max() <= 6 and diff.mean() < 3.0
            changed |= not np.array_equal(pa, pb)
    assert changed  # the second run did compute in bf16


def test_ordered_map_keeps_order_bounds_work_in_flight_and_raises_in_turn() -> None:
    started: list[int] = []

    def slow_square(i: int) -> int:
        started.append(i)
        time.sleep(0.02 * (i % 3))  # later items often finish first
        if i == 7:
            raise ValueError("item 7")
        return i * i

    results = ordered_map(slow_square, range(10), 3)
    assert [next(results) for _ in range(4)] == [0, 1, 4, 9]
    time.sleep(0.1)
    assert len(started) <= 4 + 3  # at most `workers` items beyond those taken
    with pytest.raises(ValueError, match="item 7"):
        list(results)
    assert not any(t.name.startswith("videocolor-worker") for t in threading.enumerate())


FONT = bytes(range(256)) * 4  # an attached file's bytes, as a font an ASS track names would be

CLIPS = [
    ("aac_subs.mp4", {"audio": ["aac"], "subtitles": "mov_text"}),
    ("bframes_mp3.mp4", {"audio": ["libmp3lame"], "bframes": 3, "frames": 20}),
    ("vfr_two_audio_subs.mkv", {"audio": ["libopus", "libmp3lame"], "subtitles": "subrip", "vfr": True}),
    ("vp9_opus.webm", {"codec": "libvpx-vp9", "audio": ["libopus"], "subtitles": "webvtt"}),
    (
        "pcm_rotated_sar_timecode.mov",
        {"audio": ["pcm_s16le"], "rotation": 90, "sar": Fraction(4, 3), "timecode": "10:00:00:00"},
    ),
    ("odd_10bit.mkv", {"pix_fmt": "yuv420p10le", "size": (66, 50)}),
    ("odd_65x49.webm", {"codec": "libvpx-vp9", "size": (65, 49), "audio": ["libopus"]}),
    ("yuvj_full.mp4", {"pix_fmt": "yuvj420p", "color_range": "full"}),
    ("silent.mkv", {}),
    ("interlaced_bff_aac.mp4", {"interlaced": "bff", "audio": ["aac"], "size": (64, 48)}),
    ("interlaced_tff.mkv", {"interlaced": "tff"}),
    ("hdr10_pq_10bit.mp4", {"pix_fmt": "yuv420p10le", "hdr": True, "audio": ["aac"]}),
    ("ass_with_font.mkv", {"subtitles": "ass", "attachments": [("Caption.ttf", "font/ttf", FONT)]}),
]


@pytest.mark.parametrize(("name", "kwargs"), CLIPS, ids=[c[0] for c in CLIPS])
def test_colorize_video_keeps_everything_but_colour(
    tmp_path: Path, name: str, kwargs: dict, options, colorizer
) -> None:
    clip = make_clip(tmp_path / name, **kwargs)
    before = clip.read_bytes()
    out = tmp_path / ("colour" + clip.suffix)
    seen: list[int] = []
    # At the archival-master preset's CRF 12: at the default 18 the random model's noise-like chroma leaves
    # x264 44.5-46 dB of luma on these tiny clips, depending on the model's arithmetic (threads, bf16).
    master = replace(options, encode=EncodeOptions(crf=12))
    report = colorize_video(clip, out, master, colorizer=colorizer, progress=lambda n, total: seen.append(n))
    assert clip.read_bytes() == before
    a, b = read_video(clip), read_video(out)
    assert report.frames == len(a.pts) == len(b.pts) and seen[-1] == report.frames
    assert b.pts == a.pts
    assert _luma_psnr(a.luma, b.luma) >= 45.0
    assert abs(duration_of(out) - duration_of(clip)) <= Fraction(1, 24)
    assert (b.rotation, b.sar, b.luma[0].dtype) == (a.rotation, a.sar, a.luma[0].dtype)
    pa, pb = probe(clip), probe(out)
    assert pb.color_range == pa.color_range
    assert pb.fps == pa.fps  # MP4: a stretched last sample once read as 23.8 fps for 24
    assert pb.timecode == pa.timecode == kwargs.get("timecode")
    assert pb.field_order == pa.field_order == {"tff": "tt", "bff": "bb"}.get(kwargs.get("interlaced"))
    assert (pb.primaries, pb.transfer) == (pa.primaries, pa.transfer)
    assert (pb.mastering_display, pb.light_level) == (pa.mastering_display, pa.light_level)
    assert (pa.mastering_display is not None) == bool(kwargs.get("hdr"))
    assert read_packets(out, "audio") == read_packets(clip, "audio")
    assert read_attachments(out) == read_attachments(clip)
    assert report.warnings == () and sorted(s.name for s in tmp_path.iterdir()) == sorted(
        [clip.name, out.name]
    )


def test_full_range_8_bit_into_prores_is_the_same_luma_in_10_bit_video_range(
    tmp_path: Path, options, colorizer
) -> None:
    clip = make_clip(tmp_path / "cam.mkv", pix_fmt="yuvj420p", color_range="full")
    prores = replace(options, encode=EncodeOptions(codec="prores_ks"))
    report = colorize_video(clip, tmp_path / "out.mov", prores, colorizer=colorizer)
    assert report.pix_fmt == "yuv422p10le"  # ProRes has neither 8 bits nor 4:2:0
    assert report.warnings == ("the full-range input is written as limited range (the same picture): "
                               "prores_ks has no other",)  # fmt: skip
    out = probe(tmp_path / "out.mov")
    assert (out.range_tag, out.matrix_tag) == ("limited", "smpte170m")  # tags of the frames themselves
    a, b = read_video(clip), read_video(tmp_path / "out.mov")
    expected = [np.round(y.astype(np.float64) / 255 * 876 + 64).astype(np.uint16) for y in a.luma]
    assert b.pts == a.pts and _luma_psnr(expected, b.luma) >= 45.0


def test_a_12_bit_scan_stays_12_bit_where_the_codec_allows(tmp_path: Path, options, colorizer) -> None:
    clip = make_clip(tmp_path / "scan.mkv", codec="ffv1", pix_fmt="yuv422p12le")
    ffv1 = replace(options, encode=EncodeOptions(codec="ffv1"))
    assert colorize_video(clip, tmp_path / "ffv1.mkv", ffv1, colorizer=colorizer).pix_fmt == "yuv422p12le"
    a, b = read_video(clip), read_video(tmp_path / "ffv1.mkv")
    assert all(np.array_equal(x, y) for x, y in zip(a.luma, b.luma, strict=True))  # lossless: code for code
    assert colorize_video(clip, tmp_path / "x264.mkv", options, colorizer=colorizer).pix_fmt == "yuv422p10le"


def _scans(folder: Path, frames: int, dtype: type) -> list[np.ndarray]:
    """Gray PNG scans named as a film scanner names them (from frame 86400), gradients that move."""
    folder.mkdir()
    top = np.iinfo(dtype).max
    images = [
        ((np.add.outer(np.arange(48), np.arange(64)) * (top // 150) + i * (top // 40)) % top).astype(dtype)
        for i in range(frames)
    ]
    for i, image in enumerate(images):
        cv2.imwrite(str(folder / f"reel1_{86400 + i:07d}.png"), image)
    (folder / "scan_notes.txt").write_text("not an image")
    return images


@pytest.mark.parametrize(
    ("dtype", "codec", "pix_fmt"), [(np.uint8, None, "yuvj420p"), (np.uint16, "ffv1", "yuv420p16le")]
)
def test_a_folder_of_scans_is_colorized_into_a_video_in_name_order(
    tmp_path: Path, options, colorizer, dtype: type, codec: str | None, pix_fmt: str
) -> None:
    folder = tmp_path / "reel [1]"  # glob characters in the name
    images = _scans(folder, 12, dtype)
    lossless = replace(options, sequence_fps=25.0, encode=EncodeOptions(codec=codec, crf=0))
    report = colorize_video(folder, tmp_path / "reel1.mkv", lossless, colorizer=colorizer)
    out = read_video(tmp_path / "reel1.mkv")
    assert report.frames == 12 and out.pts == [Fraction(i, 25) for i in range(12)]
    assert out.pix_fmt == pix_fmt  # 16-bit scans stay 16-bit where the codec takes it; full range kept
    assert all(np.array_equal(a, b) for a, b in zip(images, out.luma, strict=True))  # code for code
    assert (
        sorted(p.name for p in folder.iterdir())[-1] == "scan_notes.txt" and len(list(folder.iterdir())) == 13
    )


@pytest.mark.parametrize(
    ("pix_fmt", "name", "dtype"),
    [("yuv420p", "f_%04d.png", np.uint8), ("yuv420p10le", "f_%04d.tif", np.uint16)],
)
def test_a_video_into_an_image_sequence_is_numbered_rgb_frames_with_its_luma(
    tmp_path: Path, options, colorizer, pix_fmt: str, name: str, dtype: type
) -> None:
    clip = make_clip(tmp_path / "in.mkv", pix_fmt=pix_fmt, audio=["aac"])
    (tmp_path / "frames").mkdir()
    report = colorize_video(clip, tmp_path / "frames" / name, options, colorizer=colorizer)
    assert report.warnings == (
        "1 audio/subtitle stream(s) not written: an image sequence holds pictures only",
    )
    files = sorted((tmp_path / "frames").iterdir())
    assert [f.name for f in files] == [name % i for i in range(1, 13)]  # nothing else: no temporary folder
    top = np.iinfo(dtype).max
    for path, luma in zip(files, read_video(clip).luma, strict=True):
        bgr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        assert bgr.dtype == dtype and bgr.shape == (48, 64, 3)
        rgb = bgr[..., ::-1].astype(np.float64) / top
        y = rgb @ np.array([0.299, 0.587, 0.114])  # BT.601, as the input is tagged at this size
        unit = 4 if luma.dtype == np.uint16 else 1  # 10-bit codes per 8-bit code
        assert np.abs((y * 219 + 16) * unit - luma).mean() / unit < 0.6  # the input's luma, to rounding


@pytest.mark.parametrize("names", [["f9", "f10", "f11"], ["take_a", "take_b", "take_d"]])
def test_scans_are_read_in_frame_number_order_else_name_order(tmp_path: Path, names: list[str]) -> None:
    folder = tmp_path / "100% scans"  # a printf pattern's % in the folder's name
    folder.mkdir()
    for k, name in enumerate(names):  # each frame's gray level says its place
        cv2.imwrite(str(folder / f"{name}.png"), np.full((16, 16), 40 * (k + 1), np.uint8))
    info = probe(folder, Fraction(24))
    assert [int(f.luma[0, 0]) for f in decode_frames(info)] == [40, 80, 120] and info.frame_count == 3


def test_output_luma_keeps_codes_where_it_can_and_maps_the_analog_value_where_not() -> None:
    y8 = np.array([[0, 128, 255]], np.uint8)
    limited10 = VideoLayout("yuv422p10le", 3, 1, 10, (1, 2), "limited")
    full8 = VideoLayout("yuvj420p", 3, 1, 8, (1, 2), "full")
    assert output_luma(y8, 8, "full", full8) is y8
    assert output_luma(y8, 8, "full", limited10).tolist() == [[64, 504, 940]]  # 128/255*876+64 = 503.7
    y10 = np.array([[64, 512, 940]], np.uint16)
    limited8 = VideoLayout("yuv420p", 3, 1, 8, (1, 2), "limited")
    assert output_luma(y10, 10, "limited", limited8).tolist() == [[16, 128, 235]]


def test_odd_size_into_h264_keeps_its_size_in_444(tmp_path: Path, options, colorizer) -> None:
    clip = make_clip(tmp_path / "odd.webm", codec="libvpx-vp9", size=(65, 49))
    report = colorize_video(clip, tmp_path / "odd.mp4", options, colorizer=colorizer)
    out = read_video(tmp_path / "odd.mp4")
    assert report.pix_fmt == "yuv444p" and out.luma[0].shape == (49, 65) and len(out.pts) == 12


def test_smoothing_stage_runs_and_keeps_luma(tmp_path: Path, options, colorizer) -> None:
    from videocolor.temporal import SmoothingConfig

    clip = make_clip(tmp_path / "s.mp4", frames=12)
    out = tmp_path / "o.mp4"
    smoothing = SmoothingConfig(mode="flow", strength=0.8)
    flow = replace(options, smoothing=smoothing, encode=EncodeOptions(crf=12))
    colorize_video(clip, out, flow, colorizer=colorizer)
    a, b = read_video(clip), read_video(out)
    assert b.pts == a.pts and _luma_psnr(a.luma, b.luma) >= 45.0


def test_start_and_duration_trim_video_and_audio(tmp_path: Path, options, colorizer) -> None:
    clip = make_clip(tmp_path / "long.mkv", frames=48, fps=24, audio=["libopus"], timecode="00:59:59:20")
    out = tmp_path / "cut.mkv"
    trim = ColorizeOptions(**{**options.__dict__, "start": 0.5, "duration": 1.0})
    report = colorize_video(clip, out, trim, colorizer=colorizer)
    cut = read_video(out)
    assert report.frames == len(cut.pts) == 24 and cut.pts[0] == 0
    assert abs((probe(out).duration or 0) - 1.0) < 0.1
    assert probe(out).timecode == "01:00:00:08"  # 12 frames on: the first frame kept keeps its timecode


def test_start_moves_the_timecode_from_the_first_frame_not_from_zero(
    tmp_path: Path, options, colorizer
) -> None:
    clip = make_clip(tmp_path / "late.mov", frames=48, fps=24, first_pts=24, timecode="10:00:00:00")
    assert probe(clip).start_pts is not None and probe(clip).start_pts > 0  # its video starts at 1 s
    trim = ColorizeOptions(**{**options.__dict__, "start": 0.5})
    colorize_video(clip, tmp_path / "cut.mov", trim, colorizer=colorizer)
    assert probe(tmp_path / "cut.mov").timecode == "10:00:00:12"


def test_threaded_forwards_errors_and_stops_its_producer() -> None:
    def failing():
        yield 1
        raise ValueError("bad frame")

    with pytest.raises(ValueError, match="bad frame"):
        list(threaded(failing(), 2))

    produced: list[int] = []

    def endless():
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    stream = threaded(endless(), 3)
    assert [next(stream) for _ in range(5)] == list(range(5))
    time.sleep(0.2)
    assert len(produced) <= 5 + 3 + 1  # bounded: at most the queue's size ahead of the consumer
    stream.close()
    assert not any(t.name.startswith("videocolor-") for t in threading.enumerate())


def test_interrupt_leaves_no_output(tmp_path: Path, options, colorizer) -> None:
    clip = make_clip(tmp_path / "i.mp4", frames=24)
    out = tmp_path / "o.mp4"

    def interrupt(done: int, total: int | None) -> None:
        if done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        colorize_video(clip, out, options, colorizer=colorizer, progress=interrupt)
    assert [p.name for p in tmp_path.iterdir()] == [clip.name]


def test_colorize_image_keeps_luma_and_depth(tmp_path: Path, tiny_weights: Path, colorizer) -> None:
    src = make_image(tmp_path / "photo.jpg", size=(66, 50))
    out = colorize_image(src, tmp_path / "photo.png", colorizer=colorizer)
    before = cv2.imread(str(src), cv2.IMREAD_GRAYSCALE).astype(int)
    after = cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2GRAY).astype(int)
    assert after.shape == (50, 66) and np.abs(after - before).max() <= 2
    gray16 = tmp_path / "deep.png"
    cv2.imwrite(str(gray16), (np.arange(50 * 66).reshape(50, 66) * 19).astype(np.uint16))
    out16 = colorize_image(gray16, tmp_path / "deep_colour.png", colorizer=colorizer)
    assert cv2.imread(str(out16), cv2.IMREAD_UNCHANGED).dtype == np.uint16


def test_colorize_image_applies_exif_orientation_and_keeps_alpha(tmp_path: Path, colorizer) -> None:
    from PIL import Image

    photo = Image.new("RGB", (40, 20), (120, 90, 60))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    photo.save(tmp_path / "turned.jpg", exif=exif)
    out = colorize_image(tmp_path / "turned.jpg", tmp_path / "turned.png", colorizer=colorizer)
    assert cv2.imread(str(out)).shape[:2] == (40, 20)  # as displayed, and the PNG carries no EXIF
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[..., 3] = 77
    cv2.imwrite(str(tmp_path / "alpha.png"), rgba)
    out = colorize_image(tmp_path / "alpha.png", tmp_path / "alpha_colour.png", colorizer=colorizer)
    assert (cv2.imread(str(out), cv2.IMREAD_UNCHANGED)[..., 3] == 77).all()


def test_photo_alpha_depth_and_formats_survive_any_pairing(tmp_path: Path, colorizer) -> None:
    from PIL import Image

    # An RGBA PNG whose EXIF says "turn 90 degrees": the alpha turns with the colour.
    rgba = np.zeros((16, 24, 4), np.uint8)
    rgba[..., :3] = 100
    rgba[:, :6, 3] = 255  # opaque left strip: on top once turned clockwise
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(rgba, "RGBA").save(tmp_path / "turned.png", exif=exif)
    out = cv2.imread(
        str(colorize_image(tmp_path / "turned.png", tmp_path / "t.png", colorizer=colorizer)), -1
    )
    assert out.shape == (24, 16, 4) and (out[:6, :, 3] == 255).all() and (out[6:, :, 3] == 0).all()
    # 16 bits into an 8-bit-only format: scaled down, not clipped to white.
    deep = (np.linspace(0, 65535, 32 * 24).reshape(24, 32)).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "deep.png"), deep)
    jpg = cv2.imread(str(colorize_image(tmp_path / "deep.png", tmp_path / "d.jpg", colorizer=colorizer)), 0)
    assert np.abs(jpg.astype(int) - np.round(deep / 257)).max() <= 4
    # BMP keeps its alpha; PPM (no alpha) drops it; PGM (gray only) is refused before any work.
    cv2.imwrite(str(tmp_path / "a.bmp"), rgba)
    out = colorize_image(tmp_path / "a.bmp", tmp_path / "a_colour.png", colorizer=colorizer)
    assert cv2.imread(str(out), cv2.IMREAD_UNCHANGED).shape == (16, 24, 4)
    assert (
        cv2.imread(str(colorize_image(tmp_path / "a.bmp", tmp_path / "a.ppm", colorizer=colorizer))).ndim == 3
    )
    with pytest.raises(OutputError, match="output must be an image file"):
        colorize_image(tmp_path / "a.bmp", tmp_path / "a.pgm", colorizer=colorizer)


def test_colorize_folder_of_images_mirrors_the_tree(tmp_path: Path, colorizer) -> None:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    make_image(tmp_path / "in" / "a.png", gray=True)
    make_image(tmp_path / "in" / "sub" / "b.jpg")
    (tmp_path / "in" / "notes.txt").write_text("not an image")
    (tmp_path / "in" / "._a.png").write_bytes(b"\x00\x05\x16\x07")  # a macOS resource fork
    written = colorize_images(tmp_path / "in", tmp_path / "out", colorizer=colorizer)
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == ["a.png", "sub/b.jpg"]
    assert all(p.exists() for p in written)
    # An unreadable photo is named once the others are written.
    (tmp_path / "in" / "sub" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(InputError, match=r"1 of 3 photos not colorized \(the others were\): .*broken\.png"):
        colorize_images(tmp_path / "in", tmp_path / "out2", colorizer=colorizer)
    assert sorted(p.name for p in (tmp_path / "out2").rglob("*.*")) == ["a.png", "b.jpg"]
    (tmp_path / "in" / "sub" / "broken.png").unlink()
    # An output folder inside the input is not read back as input, however often the job runs.
    for overwrite in (False, True):
        options = ColorizeOptions(overwrite=overwrite)
        written = colorize_images(tmp_path / "in", tmp_path / "in" / "col", options, colorizer=colorizer)
        assert sorted(p.relative_to(tmp_path / "in" / "col").as_posix() for p in written) == [
            "a.png",
            "sub/b.jpg",
        ]
