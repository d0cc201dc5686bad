"""Image sequences' names: the glob that reads a folder, and output patterns with a frame field."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

from videocolor.errors import InputError
from videocolor.io.files import image_glob, is_sequence_pattern, pattern_glob


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("reel_%06d.png", True),
        ("f%d.dpx", True),
        ("100%%_%03d.tif", True),  # %% is a literal percent sign
        ("reel.png", False),
        ("reel_%06d.mp4", False),  # a video name: not a sequence
        ("a_%03d_%03d.png", False),  # two fields
    ],
)
def test_is_sequence_pattern(name: str, expected: bool) -> None:
    assert is_sequence_pattern(Path("out") / name) is expected


def test_pattern_glob_matches_the_numbers_the_field_writes() -> None:
    assert pattern_glob(Path("out/reel_%03d.png")) == "out/reel_[0-9][0-9][0-9].png"
    assert pattern_glob(Path("out/f%d.dpx")) == "out/f[0-9]*.dpx"
    assert pattern_glob(Path("out [1]/100%%_%02d.tif")) == "out [[]1]/100%_[0-9][0-9].tif"


def test_image_glob_takes_the_commonest_image_suffix_as_spelled(tmp_path: Path) -> None:
    folder = tmp_path / "scan [2]"
    folder.mkdir()
    for name in ("a.TIF", "b.TIF", "c.TIF", "notes.txt", "thumb.jpg", "d.tif"):
        (folder / name).write_bytes(b"")
    pattern = image_glob(folder)
    assert pattern == glob.escape(str(folder)) + "/*.TIF"
    assert sorted(Path(p).name for p in glob.glob(pattern)) == ["a.TIF", "b.TIF", "c.TIF"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no images"):
        image_glob(tmp_path / "empty")
