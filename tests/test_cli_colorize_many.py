"""`videocolor colorize` with several inputs, a glob or a folder of videos runs the batch path."""

from __future__ import annotations

from pathlib import Path

from media import make_clip, read_video

from videocolor.cli.main import main


def test_several_inputs_and_a_video_folder(tmp_path: Path, tiny_weights: Path) -> None:
    src = tmp_path / "reels"
    (src / "sub").mkdir(parents=True)
    a = make_clip(src / "a.mp4", frames=10, seed=1)
    b = make_clip(src / "sub" / "b.mkv", frames=14, seed=2)
    common = ["--weights", str(tiny_weights), "--encoder-preset", "ultrafast", "--quiet"]

    assert main(["colorize", str(a), str(b), "-o", str(tmp_path / "many"), *common]) == 0
    assert len(read_video(tmp_path / "many" / "a.mp4").pts) == 10
    assert len(read_video(tmp_path / "many" / "b.mkv").pts) == 14

    # A folder of videos mirrors its tree under the output folder.
    assert main(["colorize", str(src), "-o", str(tmp_path / "tree"), *common]) == 0
    assert read_video(tmp_path / "tree" / "sub" / "b.mkv").pts == read_video(b).pts


def test_single_input_options_are_refused_for_a_batch(tmp_path: Path, tiny_weights: Path) -> None:
    a = make_clip(tmp_path / "a.mp4", frames=4)
    b = make_clip(tmp_path / "b.mp4", frames=4, seed=3)
    code = main(["colorize", str(a), str(b), "-o", str(tmp_path / "out"), "--start", "1"])
    assert code == 2
    assert not (tmp_path / "out").exists()
