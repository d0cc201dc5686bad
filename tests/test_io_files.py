"""Image sequences' names: the glob that reads a folder, and output patterns with a frame field."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

from videocolor.errors import InputError
from videocolor.io.files import image_sequence, is_sequence_pattern, pattern_glob


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


@pytest.mark.parametrize(
    ("names", "pattern", "options"),
    [
        (
            ["r_0086400.dpx", "r_0086401.dpx", "r_0086402.dpx", "._r_0086403.dpx"],
            "r_%07d.dpx",
            {"start_number": "86400"},
        ),
        ([f"f{i}.png" for i in range(1, 11)], "f%d.png", {"start_number": "1"}),  # f10 after f9
        (["50%_01.tif", "50%_02.tif", "notes.txt"], "50%%_%02d.tif", {"start_number": "1"}),
        (["a_001.png", "a_003.png"], "*.png", {}),  # a gap: every file by name, none lost
        (["f01.png", "f2.png"], "*.png", {}),  # padded and not
        (["dawn.png", "dusk.png", "x.jpg"], "*.png", {}),
        (["a.TIF", "b.TIF", "c.TIF", "d.tif"], "*.TIF", {}),  # the commonest suffix, as spelled
    ],
)
def test_image_sequence_by_hand(tmp_path: Path, names: list[str], pattern: str, options: dict) -> None:
    folder = tmp_path / "scan [2] 5%"
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes(b"")
    sequence = image_sequence(folder)
    if options:
        assert sequence.pattern == f"{str(folder).replace('%', '%%')}/{pattern}"
        assert sequence.options == {"pattern_type": "sequence", **options}
    else:
        assert sequence.pattern == f"{glob.escape(str(folder))}/{pattern}"
        assert sequence.options == {"pattern_type": "glob"}
    assert sequence.frames == len([n for n in names if n.endswith(pattern[-4:]) and n[0] != "."])
    assert len(glob.glob(sequence.pattern)) == (0 if options else sequence.frames)


def test_a_folder_without_images_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no images"):
        image_sequence(tmp_path)
