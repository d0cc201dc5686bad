"""`videocolor colorize` / `videocolor probe` from the command line: results and every bad input."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import torch
from media import make_audio_only, make_clip, make_image, read_video

from videocolor.cli.colorize import parse_time
from videocolor.cli.main import main
from videocolor.io import probe


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> str:
    from videocolor.nets import build_generator, save_weights

    torch.manual_seed(1)
    path = tmp_path_factory.mktemp("weights") / "tiny.safetensors"
    save_weights(build_generator("tiny"), path, provenance={"source": "random init (tests)"})
    return str(path)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_colorize_video_from_the_command_line(tmp_path: Path, weights: str, capsys) -> None:
    clip = make_clip(tmp_path / "in.mp4", frames=12, audio=["aac"])
    out = tmp_path / "out.mp4"
    code, _, err = _run(
        capsys, "colorize", str(clip), "-o", str(out), "--weights", weights, "--render-factor", "4",
        "--device", "cpu", "--batch-size", "2", "--smoothing", "ema", "--quiet",
    )  # fmt: skip
    assert code == 0, err
    assert "12 frames" in err and len(read_video(out).pts) == 12
    code, _, err = _run(capsys, "colorize", str(clip), "-o", str(out), "--weights", weights, "--quiet")
    assert code == 2 and "output exists" in err
    code, _, err = _run(
        capsys, "colorize", str(clip), "-o", str(out), "--weights", weights, "--render-factor", "4",
        "--preset", "preview", "--overwrite", "--quiet", "--start", "0:00.25", "--duration", "0.25",
    )  # fmt: skip
    assert code == 0, err
    assert len(read_video(out).pts) == 6


def test_progress_bar_ends_at_the_frames_written(tmp_path: Path, weights: str, capsys) -> None:
    # Irregular timestamps in MKV (no frame count in the header): the bar's total is estimated from the
    # duration and the nominal rate, so it must be corrected to what was written.
    clip = make_clip(tmp_path / "vfr.mkv", frames=12, vfr=True)
    code, _, err = _run(
        capsys, "colorize", str(clip), "-o", str(tmp_path / "out.mkv"), "--weights", weights,
        "--render-factor", "4", "--device", "cpu",
    )  # fmt: skip
    assert code == 0, err
    last_bar = [line for line in err.replace("\r", "\n").splitlines() if "frame/s" in line][-1]
    assert "100%" in last_bar and "12/12" in last_bar


def test_colorize_photo_and_folder(tmp_path: Path, weights: str, capsys) -> None:
    photo = make_image(tmp_path / "p.jpg")
    code, _, err = _run(capsys, "colorize", str(photo), "-o", str(tmp_path / "p.png"), "--weights", weights,
                        "--render-factor", "4")  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "p.png").exists()
    (tmp_path / "album").mkdir()
    make_image(tmp_path / "album" / "x.png", gray=True)
    code, _, err = _run(capsys, "colorize", str(tmp_path / "album"), "-o", str(tmp_path / "album_colour"),
                        "--weights", weights, "--render-factor", "4", "--quiet")  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "album_colour" / "x.png").exists()
    make_clip(tmp_path / "album" / "reel.mp4", frames=2)  # photos and a video: the video is named
    code, _, err = _run(capsys, "colorize", str(tmp_path / "album"), "-o", str(tmp_path / "album_colour"),
                        "--weights", weights, "--render-factor", "4", "--quiet", "--overwrite")  # fmt: skip
    assert code == 0 and "1 video(s) in " in err and "reel.mp4: `videocolor batch " in err, err


def test_a_folder_of_images_into_a_video_file_is_an_image_sequence(
    tmp_path: Path, weights: str, capsys
) -> None:
    (tmp_path / "scans").mkdir()
    for i in range(6):
        make_image(tmp_path / "scans" / f"f{i:03d}.png", gray=True)
    scans, reel = str(tmp_path / "scans"), str(tmp_path / "reel.mp4")
    code, _, err = _run(capsys, "colorize", scans, "-o", reel, "--weights", weights, "--render-factor", "4",
                        "--fps", "23.976", "--quiet")  # fmt: skip
    assert code == 0, err
    out = probe(tmp_path / "reel.mp4")
    assert out.fps == Fraction(24000, 1001) and len(read_video(tmp_path / "reel.mp4").pts) == 6
    code, text, _ = _run(capsys, "probe", scans, "--fps", "25")
    assert code == 0 and "image2" in text and "25.000 fps (time base 1/25), 6 frames" in text
    (tmp_path / "out").mkdir()  # scans in, scans out: a name with a frame field is an image sequence
    code, _, err = _run(capsys, "colorize", scans, "-o", str(tmp_path / "out" / "c_%03d.tif"), "--weights",
                        weights, "--render-factor", "4", "--quiet")  # fmt: skip
    assert code == 0 and sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"c_{i:03d}.tif" for i in range(1, 7)
    ]
    (tmp_path / "empty").mkdir()
    code, _, err = _run(capsys, "colorize", str(tmp_path / "empty"), "-o", str(tmp_path / "e.mp4"),
                        "--weights", weights)  # fmt: skip
    suffixes = ".bmp, .dpx, .jp2, .jpeg, .jpg, .pgm, .png, .ppm, .tif, .tiff, .webp"
    assert code == 2 and err.strip().endswith(f"no images ({suffixes}) in {tmp_path / 'empty'}")
    code, _, err = _run(capsys, "colorize", str(make_clip(tmp_path / "c.mp4")), "-o", str(tmp_path / "d.mp4"),
                        "--weights", weights, "--fps", "24")  # fmt: skip
    assert code == 2 and "--fps applies to a folder of images colorized into a video or image sequence" in err
    assert not (tmp_path / "e.mp4").exists() and not (tmp_path / "d.mp4").exists()


def _bad_inputs(tmp: Path) -> dict[str, tuple[Path, str]]:
    good = make_clip(tmp / "good.mkv", frames=24, audio=["libopus"])
    data = good.read_bytes()
    (tmp / "text.mp4").write_text("this is not a video\n")
    silent = make_clip(tmp / "silent.mkv", frames=24).read_bytes()
    (tmp / "headers.mkv").write_bytes(silent[: len(silent) // 4])  # headers, no complete frame
    (tmp / "truncated.mkv").write_bytes(data[: len(data) * 6 // 10])
    mp4 = make_clip(tmp / "good.mp4").read_bytes()
    (tmp / "no_moov.mp4").write_bytes(mp4[: len(mp4) // 2])
    avi = make_clip(tmp / "good.avi", codec="mpeg4").read_bytes()
    (tmp / "unknown_codec.avi").write_bytes(avi.replace(b"FMP4", b"QQQQ"))  # a FOURCC no decoder knows
    return {
        "missing": (tmp / "missing.mp4", "input not found"),
        "not a video": (tmp / "text.mp4", "not a readable media file"),
        "no video stream": (make_audio_only(tmp / "sound.m4a"), "no video stream"),
        "zero frames": (tmp / "headers.mkv", "no video frames"),
        "truncated": (tmp / "truncated.mkv", "truncated or corrupt"),
        "corrupt container": (tmp / "no_moov.mp4", "not a readable media file"),
        "unsupported codec": (tmp / "unknown_codec.avi", "unsupported video codec"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "not a video",
        "no video stream",
        "zero frames",
        "truncated",
        "corrupt container",
        "unsupported codec",
    ],
)
def test_bad_input_gives_one_line_error_and_no_output(
    tmp_path: Path, weights: str, case: str, capsys
) -> None:
    src, message = _bad_inputs(tmp_path)[case]
    before = {p.name: _digest(p) for p in tmp_path.iterdir()}
    out = tmp_path / "out.mkv"
    code, _, err = _run(capsys, "colorize", str(src), "-o", str(out), "--weights", weights,
                        "--render-factor", "4", "--quiet")  # fmt: skip
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("videocolor: error: ") and message in lines[0], err
    assert "Traceback" not in err
    assert {p.name: _digest(p) for p in tmp_path.iterdir()} == before  # input untouched, nothing new


def test_bad_outputs_give_one_line_errors(tmp_path: Path, weights: str, capsys) -> None:
    clip = make_clip(tmp_path / "in.mkv")
    cases = [
        (str(clip), [], "output path is the input"),
        (str(tmp_path / "nowhere" / "out.mkv"), [], "output folder does not exist"),
        (str(tmp_path / "out.xyzzy"), [], "cannot tell the output container"),
        (str(tmp_path / "out.mkv"), ["--device", "cpu", "--precision", "fp16"], "fp16 needs a CUDA device"),
        (str(tmp_path / "out.gif"), [], "encoder gif takes no planar YUV"),
        (str(tmp_path / "out.webm"), ["--codec", "libx264"], "webm output does not take libx264 video"),
    ]
    if os.geteuid() != 0:  # root writes anywhere: a read-only folder cannot be tested as root
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        cases.append((str(locked / "out.mkv"), [], "not writable"))
    else:
        cases.append(("/proc/videocolor-out.mkv", [], "cannot encode/write"))
    for dst, extra, message in cases:
        before = {p.name: _digest(p) for p in tmp_path.iterdir() if p.is_file()}
        code, _, err = _run(capsys, "colorize", str(clip), "-o", dst, "--weights", weights,
                            "--render-factor", "4", "--quiet", *extra)  # fmt: skip
        assert code == 2 and message in err and ".partial" not in err, (dst, err)
        assert {p.name: _digest(p) for p in tmp_path.iterdir() if p.is_file()} == before


def test_a_file_name_with_brackets_is_a_file_not_a_pattern(tmp_path: Path, weights: str, capsys) -> None:
    clip = make_clip(tmp_path / "reel [1] * final.mp4", frames=3)
    code, _, err = _run(capsys, "colorize", str(clip), "-o", str(tmp_path / "out.mp4"), "--weights", weights,
                        "--render-factor", "4", "--quiet")  # fmt: skip
    assert code == 0 and len(read_video(tmp_path / "out.mp4").pts) == 3, err


def test_missing_weights_say_how_to_get_them(tmp_path: Path, capsys) -> None:
    from videocolor.nets import default_weights_path

    clip = make_clip(tmp_path / "in.mkv")
    code, _, err = _run(capsys, "colorize", str(clip), "-o", str(tmp_path / "o.mkv"), "--weights",
                        str(tmp_path / "none.safetensors"), "--quiet")  # fmt: skip
    assert code == 2 and "weights file not found" in err
    code, _, err = _run(capsys, "colorize", str(clip), "-o", str(tmp_path / "o.mkv"), "--weights",
                        str(tmp_path), "--quiet")  # fmt: skip
    assert code == 2 and "--weights names a folder" in err
    code, _, err = _run(capsys, "colorize", str(clip), "-o", str(tmp_path / "o.mkv"), "--model", "nope",
                        "--quiet")  # fmt: skip
    assert code == 2 and "no shipped model named 'nope'" in err and ".safetensors" not in err.split("(")[1]
    if default_weights_path() is None:
        code, _, err = _run(capsys, "colorize", str(clip), "-o", str(tmp_path / "o.mkv"), "--quiet")
        assert code == 2 and "--weights" in err and "convert-deoldify" in err and "videocolor train" in err
        assert not (tmp_path / "o.mkv").exists()


def test_probe_command(tmp_path: Path, capsys) -> None:
    clip = make_clip(tmp_path / "a.mkv", size=(66, 50), audio=["libopus"], subtitles="subrip")
    code, out, _ = _run(capsys, "probe", str(clip), "--json")
    info = json.loads(out)
    assert code == 0 and (info["width"], info["height"], info["fps"]) == (66, 50, "24")
    assert [s["codec"] for s in info["audio"]] == ["opus"] and [s["codec"] for s in info["subtitles"]] == [
        "subrip"
    ]
    code, out, _ = _run(capsys, "probe", str(clip))
    assert code == 0 and "66x50" in out and "audio #1: opus" in out
    code, _, err = _run(capsys, "probe", str(tmp_path / "nope.mp4"))
    assert code == 2 and "input not found" in err


def test_help_and_probe_start_without_torch(tmp_path: Path) -> None:
    """Both answer in a fraction of a second: importing torch and torchvision alone takes ~2 s."""
    clip = make_clip(tmp_path / "a.mp4", frames=2)
    code = (
        "import sys; from videocolor.cli.main import main; "
        "[main(argv) for argv in (['probe', sys.argv[1]], ['probe', sys.argv[1], '--json'])]; "
        "import contextlib, io\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()): main(['--help'])\n"
        "print([m for m in ('torch', 'torchvision') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code, str(clip)], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"


def test_output_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "a.mp4", frames=2)
    line = f'"{sys.executable}" -m videocolor probe "{clip}" --json | true; echo ${{PIPESTATUS[0]}}'
    done = subprocess.run(["bash", "-c", line], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "141" and done.stderr == ""


def test_parse_time() -> None:
    assert parse_time("12.5") == 12.5
    assert parse_time("1:02.5") == 62.5
    assert parse_time("1:01:02") == 3662
    assert parse_time(".5") == 0.5 and parse_time("75") == 75
    for bad in ("1:75", "1:60:00", "x", "1.2.3"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_time(bad)


@pytest.mark.parametrize(
    ("signame", "code", "said"), [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")]
)
def test_ctrl_c_or_kill_stops_cleanly_and_leaves_nothing(
    tmp_path: Path, weights: str, signame: str, code: int, said: str
) -> None:
    import signal
    import subprocess
    import sys
    import time

    clip = make_clip(tmp_path / "long.mkv", frames=240, size=(320, 240), audio=["libopus"])
    out = tmp_path / "out.mkv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "videocolor", "colorize", str(clip), "-o", str(out), "--weights", weights,
         "--render-factor", "8", "--device", "cpu", "--quiet"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".out.partial") for p in tmp_path.iterdir()) and proc.poll() is None:
        assert time.monotonic() < deadline, "no partial output appeared"
        time.sleep(0.05)
    proc.send_signal(getattr(signal, signame))
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the run finished before the interrupt landed")
    assert proc.returncode == code and err.strip() == f"videocolor: {said}", err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.mkv"]
