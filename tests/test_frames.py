"""`videocolor frames`: the same stages as colorize, frame selection, files, and the HTML in a browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from media import make_clip
from test_evaluate import _write_clip

from videocolor.cli.main import main
from videocolor.io import choose_layout, decode_frames, probe
from videocolor.pipeline import ColorizeOptions, Colorizer, colorize_frames
from videocolor.report import ReportWriter, Selection, run_debug, summary
from videocolor.report.frames import STAGES
from videocolor.temporal import SmoothingConfig


def _colorizer() -> Colorizer:
    """A small fixed network (seeded 3x3 conv): deterministic colour that varies over the picture."""
    torch.manual_seed(0)
    model = torch.nn.Conv2d(3, 3, 3, padding=1).eval()
    return Colorizer(model, device=torch.device("cpu"), render_size=48, batch_size=3)


def _cut_clip(path: Path) -> Path:
    """6 frames of a dark textured shot, then 6 of a bright one (24 fps)."""
    rng = np.random.default_rng(0)
    a = rng.integers(10, 90, (48, 64, 3), dtype=np.uint8)
    b = rng.integers(160, 250, (48, 64, 3), dtype=np.uint8)
    return _write_clip(path, [a] * 6 + [b] * 6, audio=False)


@pytest.mark.parametrize("smoothing", [SmoothingConfig(), SmoothingConfig(mode="none")])
def test_final_planes_are_what_colorize_encodes(tmp_path: Path, smoothing: SmoothingConfig) -> None:
    clip = make_clip(tmp_path / "clip.mp4", frames=10, size=(64, 48))
    info = probe(clip)
    layout = choose_layout(info, "libx264", None)
    colorizer = _colorizer()
    expected = list(
        colorize_frames(
            decode_frames(info),
            colorizer,
            layout=layout,
            matrix=info.matrix,
            value_range=info.color_range,
            smoothing=smoothing,
        )  # fmt: skip
    )
    got = []
    options = ColorizeOptions(smoothing=smoothing)
    run_debug(info, colorizer, options, Selection(every=1), on_frame=lambda r, s: got.append((r, s)))
    assert len(got) == len(expected) == 10
    for (record, shots), ref in zip(got, expected, strict=True):
        assert record.selected and shots is not None
        assert all(np.array_equal(a, b) for a, b in zip(shots.planes, ref.planes, strict=True))
        assert set(shots.images) == set(STAGES)
        assert shots.images["final"].shape == (48, 64, 3) and shots.images["model_input"].shape == (48, 48, 3)


class _DarkIsSlow(torch.nn.Module):
    """Identity that takes longer the darker its input: on two workers, later batches finish first."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        time.sleep(0.3 * float(1.0 - x.mean().clamp(-1.0, 1.0)))
        return x


def test_model_pictures_belong_to_their_frames_whatever_order_batches_end(tmp_path: Path) -> None:
    levels = [30 + 16 * i for i in range(12)]  # each frame its own gray level, darkest first
    clip = _write_clip(tmp_path / "c.mp4", [np.full((48, 64, 3), v, np.uint8) for v in levels], audio=False)
    colorizer = Colorizer(_DarkIsSlow().eval(), device=torch.device("cpu"), render_size=48, batch_size=3,
                          workers=2)  # fmt: skip
    means: list[float] = []
    run_debug(probe(clip), colorizer, ColorizeOptions(), Selection(every=1),
              on_frame=lambda r, s: means.append(float(s.images["model_input"].mean())))  # fmt: skip
    assert len(means) == 12 and means == sorted(means)  # was [78, 94, 109, 30, 47, 62, ...] on two workers


def test_selection_by_index_time_every_and_cuts(tmp_path: Path) -> None:
    info = probe(_cut_clip(tmp_path / "cut.mp4"))
    options = ColorizeOptions()

    def selected(sel: Selection) -> list[int]:
        records: list = []
        run_debug(info, _colorizer(), options, sel, on_frame=lambda r, s: records.append((r, s)))
        assert all((s is not None) == r.selected for r, s in records)
        return [r.index for r, _ in records if r.selected]

    assert selected(Selection(cuts=True)) == [0, 6]
    assert selected(Selection(frames=(2, 11))) == [2, 11]
    assert selected(Selection(times=(0.1, 0.26))) == [3, 7]  # first frames at or after 0.1 s and 0.26 s
    assert selected(Selection(every=5)) == [0, 5, 10]


def _browser() -> str | None:
    return next(
        (b for b in ("chromium-headless-shell", "chromium", "google-chrome") if shutil.which(b)), None
    )


def test_report_files_and_html_images_load_in_headless_chromium(tmp_path: Path) -> None:
    info = probe(_cut_clip(tmp_path / "cut.mp4"))
    writer = ReportWriter(tmp_path / "report")
    run_debug(info, _colorizer(), ColorizeOptions(), Selection(every=4, cuts=True), on_frame=writer.add)
    writer.finish({"input": str(info.path)}, summary(writer.records))
    report = tmp_path / "report"
    doc = json.loads((report / "frames.json").read_text())
    assert len(doc["frames"]) == 12 and doc["summary"]["cuts"] == 1 and doc["frames"][6]["cut"]
    assert (report / "frames.csv").read_text().count("\n") == 13
    assert (report / "contact_sheet.png").is_file()
    for i in (0, 4, 6, 8):
        for key in [*STAGES, "strip"]:
            assert (report / "frames" / f"{i:06d}_{key}.png").is_file()
    page = (report / "index.html").read_text()
    assert "<svg" in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    browser = _browser()
    if browser is None:
        pytest.skip("no headless Chromium here (apt-get install chromium-headless-shell)")
    dom = subprocess.run(
        [browser, "--no-sandbox", "--disable-gpu", "--headless", "--allow-file-access-from-files",
         "--virtual-time-budget=5000", "--dump-dom", (report / "index.html").as_uri()],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    loaded = re.search(r"images loaded: (\d+)/(\d+)", dom)
    assert loaded is not None, dom[:500]
    ok, total = map(int, loaded.groups())
    assert total == 1 + 4 * (2 + len(STAGES) + 1) and ok == total  # contact sheet + per frame


def test_cli_refuses_existing_output_and_missing_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    out.mkdir()
    clip = make_clip(tmp_path / "clip.mp4", frames=3, size=(32, 32))
    assert main(["frames", str(clip), "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err and not any(out.iterdir())
    assert main(["frames", str(tmp_path / "nope.mp4"), "--out", str(tmp_path / "r2")]) == 2
    assert not (tmp_path / "r2").exists()


def test_cli_writes_the_report_folder_atomically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from videocolor.nets import build_generator, save_weights

    weights = tmp_path / "tiny.safetensors"
    save_weights(build_generator("tiny"), weights, provenance={"note": "random weights for tests"})
    clip = make_clip(tmp_path / "clip.mp4", frames=6, size=(64, 48))
    out = tmp_path / "report"
    args = ["frames", str(clip), "--out", str(out), "--weights", str(weights), "--render-factor", "2"]
    assert main([*args, "--frame", "1", "--time", "0.2", "--quiet"]) == 0
    doc = json.loads((out / "frames.json").read_text())
    assert [f["index"] for f in doc["frames"] if f["selected"]] == [1, 5]
    assert doc["meta"]["smoothing"]["mode"] == "flow" and (out / "index.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "report", "tiny.safetensors"]
    assert main([*args, "--every", "2", "--overwrite", "--quiet"]) == 0
    assert sum(f["selected"] for f in json.loads((out / "frames.json").read_text())["frames"]) == 3
    (tmp_path / "scans").mkdir()  # a folder of scans, read as a video at --fps
    for i, frame in enumerate(decode_frames(probe(clip))):
        cv2.imwrite(str(tmp_path / "scans" / f"s{i:03d}.png"), frame.luma)
    args[1] = str(tmp_path / "scans")
    assert main([*args, "--fps", "12", "--time", "0.25", "--overwrite", "--quiet"]) == 0
    assert [f["index"] for f in json.loads((out / "frames.json").read_text())["frames"] if f["selected"]] == [
        3
    ]


def test_cli_window_times_and_bad_selections(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from videocolor.nets import build_generator, save_weights

    weights = tmp_path / "tiny.safetensors"
    save_weights(build_generator("tiny"), weights, provenance={"note": "random weights for tests"})
    clip = make_clip(tmp_path / "clip.mp4", frames=12, size=(32, 32))  # 24 fps
    out = tmp_path / "report"
    args = ["frames", str(clip), "--out", str(out), "--weights", str(weights), "--render-factor", "2"]
    args.append("--quiet")
    # --time counts on the input's timeline, as --start does; --frame from the first frame processed.
    assert main([*args, "--start", "0.25", "--time", "0.375", "--frame", "1", "--precision", "fp32"]) == 0
    doc = json.loads((out / "frames.json").read_text())
    assert doc["meta"]["precision"] == "fp32"
    assert [(f["index"], f["time"]) for f in doc["frames"] if f["selected"]] == [(1, 7 / 24), (3, 0.375)]
    shutil.rmtree(out)
    capsys.readouterr()
    (tmp_path / "file").write_text("x")
    for extra, message in [
        (["--every", "0"], "--every must be >= 1"),
        (["--frame", "-1"], "--frame and --time must be >= 0"),
        (["--frame", "12"], "--frame/--time 12 is past the last frame (12 frames)"),
        (["--start", "5"], "no video frames in " + str(clip) + " in that time range"),
        (["--out", str(tmp_path / "file"), "--overwrite"], "output is a file, not a report folder"),
    ]:
        assert main([*args, *extra]) == 2, extra
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "file", "tiny.safetensors"]
