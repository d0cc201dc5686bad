"""`videocolor status OUTDIR`: what a batch job has done, read from its store (safe while it runs)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from videocolor.batch.store import ItemState, JobStore, SegmentState

__all__ = ["print_status", "print_table"]


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]], file: TextIO) -> None:
    """Columns padded to their widest cell; the last one (paths, errors) is left unpadded."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        print("  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]), file=file)


def print_status(outdir: Path, *, segments: bool = False, file: TextIO | None = None) -> None:
    """One row per item (state, segments done, frames done, output), then errors and, if asked,
    every segment."""
    file = file or sys.stdout
    with JobStore(outdir, lock=False) as store:
        items = store.items()
        rows: list[tuple[str, ...]] = []
        notes: list[str] = []
        for item in items:
            segs = store.segments(item.id)
            done = [s for s in segs if s.state == SegmentState.DONE]
            frames = item.frames if item.state == ItemState.DONE else sum(s.frames for s in done)
            total = "?" if item.frames is None else str(item.frames)
            rows.append((item.state.value, f"{len(done)}/{len(segs)}", f"{frames or 0}/{total}", item.output))
            if item.error:
                notes.append(f"{item.output}: {item.error}")
            notes += [f"{item.output}: warning: {w}" for w in item.warnings]
            if segments:
                notes += [
                    f"{item.output} #{s.index}: {s.state.value}, pts {s.start_pts} to "
                    f"{'the end' if s.end_pts is None else s.end_pts}, {s.frames} frames"
                    + (f", {s.seconds:.1f} s" if s.seconds is not None else "")
                    for s in segs
                ]
    print_table(("STATE", "SEGMENTS", "FRAMES", "OUTPUT"), rows, file)
    for note in notes:
        print(note, file=file)
    counts = {state: sum(i.state == state for i in items) for state in ItemState}
    print(
        ", ".join(f"{n} {state.value.lower()}" for state, n in counts.items() if n) or "no items", file=file
    )
