"""window_chapters on hand-made chapter lists."""

from __future__ import annotations

from fractions import Fraction

from videocolor.io.chapters import window_chapters


def _chapter(n: int, start: int, end: int) -> dict:
    return {"id": n, "start": start, "end": end, "time_base": Fraction(1, 10), "metadata": {"title": str(n)}}


CHAPTERS = [_chapter(1, 0, 100), _chapter(2, 100, 200), _chapter(3, 200, 300)]  # 0-10 s, 10-20 s, 20-30 s


def test_a_window_keeps_the_chapters_it_overlaps_moved_and_cut() -> None:
    assert window_chapters(CHAPTERS, Fraction(12), Fraction(25)) == [_chapter(2, 0, 80), _chapter(3, 80, 130)]


def test_an_open_window_keeps_every_chapter_from_its_start() -> None:
    assert window_chapters(CHAPTERS, Fraction(20), None) == [_chapter(3, 0, 100)]
    assert window_chapters(CHAPTERS, Fraction(0), None) == CHAPTERS


def test_chapters_that_only_touch_the_window_are_left_out() -> None:
    assert window_chapters(CHAPTERS, Fraction(10), Fraction(20)) == [_chapter(2, 0, 100)]
