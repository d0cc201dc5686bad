"""`videocolor evaluate`: scores of known pairs through the CLI, and gray twins of generated clips."""

from __future__ import annotations

import json
import math
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from media import make_clip, make_image, read_video

from videocolor.cli.main import main
from videocolor.color import MATRICES
from videocolor.io import plane_array
from videocolor.metrics import gray_twin


def _frames(n: int = 5, h: int = 40, w: int = 56) -> list[np.ndarray]:
    """RGB frames: a textured background and a coloured square moving 2 px per frame."""
    rng = np.random.default_rng(0)
    bg = cv2.GaussianBlur(rng.uniform(0, 255, (h, w)).astype(np.float32), (0, 0), 1.5)
    bg = (40 + 150 * (bg - bg.min()) / (bg.max() - bg.min())).astype(np.uint8)
    out = []
    for t in range(n):
        f = np.stack([bg, bg // 2 + 50, 200 - bg // 2], axis=2)
        f[10:26, 8 + 2 * t : 24 + 2 * t] = (220, 60, 40)
        out.append(f)
    return out


def _write_folder(folder: Path, frames: list[np.ndarray]) -> Path:
    folder.mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:05d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    return folder


def _write_clip(path: Path, frames: list[np.ndarray], *, audio: bool) -> Path:
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        sound = out.add_stream("aac", rate=48000) if audio else None
        for i, f in enumerate(frames):
            for packet in video.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(packet)
            if sound is not None:
                tone = np.sin(np.arange(2000) / 9.0 + i)[None].astype(np.float32) * 0.3
                frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
                frame.sample_rate, frame.pts = 48000, i * 2000
                for packet in sound.encode(frame):
                    out.mux(packet)
        for stream in (video, sound):
            if stream is not None:
                for packet in stream.encode(None):
                    out.mux(packet)
    return path


def _evaluate_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["evaluate", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_identical_clips_score_inf_psnr_and_equal_temporal_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = _frames()
    gt = _write_folder(tmp_path / "gt", frames)
    pred = _write_folder(tmp_path / "pred", frames)
    doc = _evaluate_json(capsys, str(pred), str(gt))
    clip = doc["clips"][0]
    assert clip["frames"] == 5 and clip["psnr"] == "inf" and clip["ssim"] == pytest.approx(1.0)
    assert clip["dcf"] == 0.0 and clip["cdc"] == clip["cdc_truth"] > 0  # the square moves
    assert clip["warp"] == clip["warp_truth"]
    assert len(clip["per_frame"]) == 5 and clip["per_frame"][0]["warp"] is None


def test_gray_prediction_scores_the_gray_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames = _frames()
    gt = _write_folder(tmp_path / "gt", frames)
    pred = _write_folder(tmp_path / "pred", [gray_twin(f, MATRICES["bt601"]) for f in frames])
    clip = _evaluate_json(capsys, str(pred), str(gt))["clips"][0]
    assert clip["cf"] == 0.0 and clip["cf_truth"] > 10
    assert clip["psnr"] == pytest.approx(clip["psnr_gray"])
    assert clip["dcf"] == pytest.approx(clip["cf_truth"])


def test_text_table_and_frame_count_mismatch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames = _frames()
    gt = _write_folder(tmp_path / "gt", frames)
    pred = _write_folder(tmp_path / "pred", frames[:4])
    assert main(["evaluate", str(gt), str(gt)]) == 0
    assert "inf" in capsys.readouterr().out
    assert main(["evaluate", str(pred), str(gt)]) == 2
    err = capsys.readouterr().err.strip()
    assert "4 predicted frames but 5 ground-truth frames" in err and "\n" not in err
    assert main(["evaluate", str(tmp_path / "missing"), str(gt)]) == 2


def test_gray_out_keeps_luma_and_audio_and_neutralises_chroma(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _write_clip(tmp_path / "colour.mp4", _frames(8), audio=True)
    dst = tmp_path / "gray.mp4"
    assert main(["evaluate", "--gray-out", str(dst), str(src)]) == 0
    assert "8 frames" in capsys.readouterr().out

    def decode(path: Path) -> tuple[list[np.ndarray], list[np.ndarray], list[int], list[bytes]]:
        with av.open(str(path)) as c:
            frames = list(c.decode(video=0))
            ys = [plane_array(f, 0, np.uint8).copy() for f in frames]
            cs = [plane_array(f, 1, np.uint8).copy() for f in frames]
            pts = [f.pts * f.time_base for f in frames]
        with av.open(str(path)) as c:
            audio = [bytes(p) for p in c.demux(audio=0) if p.size]
        return ys, cs, pts, audio

    ys0, _, pts0, audio0 = decode(src)
    ys1, cs1, pts1, audio1 = decode(dst)
    assert len(ys1) == 8 and pts1 == pts0
    assert all(np.array_equal(a, b) for a, b in zip(ys0, ys1, strict=True))  # lossless by default
    assert all((c == 128).all() for c in cs1)
    assert audio1 == audio0 and len(audio0) > 0
    # scoring the twin against its source gives the gray baseline and zero colourfulness
    clip = _evaluate_json(capsys, str(dst), str(src), "--no-warp")["clips"][0]
    assert clip["cf"] == 0.0 and clip["psnr"] == pytest.approx(clip["psnr_gray"], abs=0.05)
    assert not math.isinf(clip["psnr"])

    before = dst.read_bytes()
    assert main(["evaluate", "--gray-out", str(dst), str(src)]) == 2  # exists, no --overwrite
    assert "exists" in capsys.readouterr().err and dst.read_bytes() == before
    assert main(["evaluate", "--gray-out", str(tmp_path / "x.mp4"), str(tmp_path / "gt")]) == 2
    assert not (tmp_path / "x.mp4").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["colour.mp4", "gray.mp4"]


def test_gray_out_of_a_ten_bit_clip_is_lossless(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "deep.mkv", frames=4, pix_fmt="yuv420p10le")
    assert main(["evaluate", "--gray-out", str(tmp_path / "gray.mkv"), str(src)]) == 0
    a, b = read_video(src), read_video(tmp_path / "gray.mkv")
    assert b.pix_fmt == "yuv420p10le"
    assert all(np.array_equal(x, y) for x, y in zip(a.luma, b.luma, strict=True))


def test_photos_of_several_sizes_need_photos_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for d in ("pred", "gt"):
        (tmp_path / d).mkdir()
        make_image(tmp_path / d / "a.png", size=(40, 30))
        make_image(tmp_path / d / "b.png", size=(30, 40))
    assert main(["evaluate", str(tmp_path / "pred"), str(tmp_path / "gt")]) == 2
    err = capsys.readouterr().err.strip()
    assert "frame 1 is 30x40 but the clip's frames before it are 40x30" in err and err.endswith("--photos")
    assert main(["evaluate", str(tmp_path / "pred"), str(tmp_path / "gt"), "--photos", "--json"]) == 0


def test_a_short_clip_does_not_blank_the_sets_cdc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for d in ("pred", "gt"):
        (tmp_path / d).mkdir()
        _write_clip(tmp_path / d / "long.mp4", _frames(7), audio=False)
        _write_clip(tmp_path / d / "short.mp4", _frames(3), audio=False)  # CDC needs 5 frames
    doc = _evaluate_json(capsys, str(tmp_path / "pred"), str(tmp_path / "gt"), "--no-warp")
    cdc = {c["name"]: c["cdc"] for c in doc["clips"]}
    assert cdc["short"] == "nan" and doc["summary"]["cdc"] == cdc["long"]
    assert main(["evaluate", str(tmp_path / "pred"), str(tmp_path / "gt"), "--no-warp"]) == 0
    short = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("short"))
    assert "nan" not in short
