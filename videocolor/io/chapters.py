"""Chapter marks (as PyAV lists them) cut to a time window of the input."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

__all__ = ["window_chapters"]


def window_chapters(
    chapters: list[dict[str, Any]], start: Fraction, end: Fraction | None
) -> list[dict[str, Any]]:
    """The chapters that overlap [start, end) seconds, moved so that `start` is 0 and cut to the window.

    A chapter is PyAV's dict: id, start and end in units of time_base, metadata."""
    kept = []
    for chapter in chapters:
        tb = Fraction(chapter["time_base"])
        first, last = chapter["start"] * tb, chapter["end"] * tb
        if last <= start or (end is not None and first >= end):
            continue
        cut_last = last if end is None else min(last, end)
        kept.append(
            {
                **chapter,
                "start": round((max(first, start) - start) / tb),
                "end": round((cut_last - start) / tb),
            }
        )
    return kept
