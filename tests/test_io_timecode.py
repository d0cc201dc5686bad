from fractions import Fraction

import pytest

from videocolor.io.timecode import frame_rate, shift_timecode

NTSC = Fraction(30000, 1001)


@pytest.mark.parametrize(
    ("timecode", "frames", "fps", "expected"),
    [
        ("01:00:00:00", 24, Fraction(24), "01:00:01:00"),
        ("00:59:59:23", 1, Fraction(24), "01:00:00:00"),
        ("10:00:00:00", -1, Fraction(25), "09:59:59:24"),
        ("23:59:59:24", 1, Fraction(25), "00:00:00:00"),  # a day wraps
        ("00:00:00:00", -1, Fraction(25), "23:59:59:24"),
        ("00:00:59;29", 1, NTSC, "00:01:00;02"),  # drop-frame skips ;00 and ;01 of minute 1
        ("00:01:00;02", -1, NTSC, "00:00:59;29"),
        ("00:09:59;29", 1, NTSC, "00:10:00;00"),  # but not of every tenth minute
        ("00:00:00;00", 107_892, NTSC, "01:00:00;00"),  # an hour of 29.97 fps frames is an hour
        ("00:00:59.59", 1, Fraction(60000, 1001), "00:01:00.04"),  # 59.94: four numbers dropped
        ("00:00:59:29", 1, NTSC, "00:01:00:00"),  # non-drop at 29.97: counts every number
    ],
)
def test_shift_timecode_by_hand(timecode: str, frames: int, fps: Fraction, expected: str) -> None:
    assert shift_timecode(timecode, frames, fps) == expected


@pytest.mark.parametrize(
    ("timecode", "fps"),
    [
        ("", 24),
        ("1:00:00", 24),
        ("01:60:00:00", 24),
        ("01:00:00:24", 24),
        ("00:01:00;01", NTSC),
        ("ab:cd", 25),
    ],
)
def test_shift_timecode_refuses_what_is_not_a_timecode(timecode: str, fps: Fraction) -> None:
    with pytest.raises(ValueError, match="not a timecode"):
        shift_timecode(timecode, 1, Fraction(fps))


@pytest.mark.parametrize(
    ("typed", "exact"),
    [
        (23.976, Fraction(24000, 1001)),
        (29.97, Fraction(30000, 1001)),
        (59.94, Fraction(60000, 1001)),
        (24, Fraction(24)),
        (25, Fraction(25)),
        (12.5, Fraction(25, 2)),
    ],
)
def test_a_typed_frame_rate_becomes_the_exact_one(typed: float, exact: Fraction) -> None:
    assert frame_rate(typed) == exact
