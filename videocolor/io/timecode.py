"""SMPTE timecode strings (HH:MM:SS:FF; drop-frame: ';' or '.' before the frames), moved by frames."""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = ["frame_rate", "shift_timecode"]

_TIMECODE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")


def shift_timecode(timecode: str, frames: int, fps: Fraction) -> str:
    """`timecode` moved by `frames` frames (wrapping at 24 hours), in its own notation.

    Timecode counts `round(fps)` frames a second; drop-frame (29.97/59.94 fps, ';' '.' or ',' before the
    frames) skips the first 2 (4) frame numbers of every minute but each tenth, so that it keeps to the
    clock. Raises ValueError for what is not a timecode."""
    match = _TIMECODE.match(timecode.strip())
    if match is None or fps <= 0:
        raise ValueError(f"not a timecode: {timecode!r}")
    hh, mm, ss, sep, ff = match.groups()
    base = round(fps)
    drop = {30: 2, 60: 4}.get(base, 0) if sep != ":" else 0
    dropped = drop and int(ss) == 0 and int(ff) < drop and int(mm) % 10  # a number drop-frame skips
    if int(hh) > 23 or int(mm) > 59 or int(ss) > 59 or int(ff) >= base or dropped:
        raise ValueError(f"not a timecode at {float(fps):g} fps: {timecode!r}")
    minutes = 60 * int(hh) + int(mm)
    count = (minutes * 60 + int(ss)) * base + int(ff) - drop * (minutes - minutes // 10)
    day = 24 * 60 * (60 * base - drop) + 24 * 6 * drop  # frame numbers in 24 hours
    count = (count + frames) % day
    if drop:  # back to frame numbers with the dropped ones counted in
        per_ten, per_minute = 600 * base - 9 * drop, 60 * base - drop
        tens, rest = divmod(count, per_ten)
        count += 9 * drop * tens + (drop * ((rest - drop) // per_minute) if rest > drop else 0)
    ff_, seconds = count % base, count // base
    return f"{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{sep}{ff_:02d}"


def frame_rate(fps: float) -> Fraction:
    """A typed frame rate as an exact one: 23.976, 29.97 and 59.94 (any N x 1000/1001 within 0.01) are
    NTSC's 24000/1001, 30000/1001 and 60000/1001; others as typed (25, 12.5)."""
    ntsc = round(fps * 1.001)
    if ntsc and abs(fps * 1.001 - ntsc) < 0.01 and abs(fps - ntsc) > 0.01:
        return Fraction(ntsc * 1000, 1001)
    return Fraction(fps).limit_denominator(1000)
