"""The job store: one SQLite file next to the outputs, holding items and their segments with states.

Only the driver writes it (workers return results; they never open the store), so a Ray cluster needs
no shared database. Every state change is one transaction guarded by the expected previous state, and
the file is held under an exclusive lock while a run is going, so two runs cannot share an OUTDIR.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from videocolor.errors import OutputError

__all__ = [
    "STORE_NAME",
    "ItemRow",
    "ItemState",
    "JobStore",
    "SegmentRow",
    "SegmentState",
    "StaleTransition",
    "fingerprint_of",
]

STORE_NAME = "videocolor-jobs.sqlite"


class ItemState(StrEnum):
    PENDING = "PENDING"  # not planned yet
    PLANNED = "PLANNED"  # segments known, some still to colorize
    ASSEMBLING = "ASSEMBLING"  # every part is done; joining them and muxing the original streams
    DONE = "DONE"
    FAILED = "FAILED"


class SegmentState(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    DONE = "DONE"


class StaleTransition(RuntimeError):
    """A row was not in the state the caller expected (a bug, or a second writer)."""


@dataclass(frozen=True)
class ItemRow:
    id: int
    input: str
    output: str
    options: dict[str, Any]
    fingerprint: str
    state: ItemState
    error: str | None
    frames: int | None
    updated: float
    warnings: tuple[str, ...] = ()  # what the segments' encode or the assembly changed or dropped


@dataclass(frozen=True)
class SegmentRow:
    id: int
    item_id: int
    index: int
    start_pts: int
    end_pts: int | None  # None: to the end of the stream
    warmup_pts: int | None  # first frame the smoother sees before start_pts (None: no warm-up)
    frames: int
    state: SegmentState
    part: str | None
    seconds: float | None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    input TEXT NOT NULL,
    output TEXT NOT NULL UNIQUE,
    options TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    error TEXT,
    frames INTEGER,
    updated REAL NOT NULL,
    warnings TEXT
);
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start_pts INTEGER NOT NULL,
    end_pts INTEGER,
    warmup_pts INTEGER,
    frames INTEGER NOT NULL,
    state TEXT NOT NULL,
    part TEXT,
    seconds REAL,
    updated REAL NOT NULL,
    UNIQUE (item_id, idx)
);
"""


class JobStore:
    """Items and segments of the batches written to one output folder."""

    def __init__(self, folder: str | Path, *, lock: bool = True) -> None:
        self.folder = Path(folder)
        self.path = self.folder / STORE_NAME
        self._lock_fh = None
        if lock:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._lock_fh = open(self.folder / (STORE_NAME + ".lock"), "a")  # noqa: SIM115
            except OSError as exc:
                raise OutputError(f"cannot write the job store in {self.folder}: {exc.strerror}") from None
            try:
                fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._lock_fh.close()
                raise OutputError(f"another batch is running on {self.folder}") from None
        elif not self.path.exists():
            raise OutputError(f"no batch job in {self.folder} (no {STORE_NAME})")
        # isolation_level=None: we open every transaction ourselves with BEGIN IMMEDIATE.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        if lock:
            self._db.executescript(_SCHEMA)
            if "warnings" not in {r["name"] for r in self._db.execute("PRAGMA table_info(items)")}:
                self._db.execute("ALTER TABLE items ADD COLUMN warnings TEXT")  # a store from before it

    def close(self) -> None:
        self._db.close()
        if self._lock_fh is not None:
            self._lock_fh.close()
            self._lock_fh = None

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- items ---------------------------------------------------------------------------------

    def upsert_item(
        self, input: str, output: str, options: dict[str, Any], fingerprint: str, *, restart: bool = False
    ) -> ItemRow:
        """The item writing `output`; a changed input or options, or `restart`, start it over (old
        segments dropped)."""
        now = time.time()
        opts = json.dumps(options, sort_keys=True)
        with self._tx() as db:
            row = db.execute("SELECT * FROM items WHERE output = ?", (output,)).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO items (input, output, options, fingerprint, state, updated)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (input, output, opts, fingerprint, ItemState.PENDING, now),
                )
            elif restart or row["fingerprint"] != fingerprint or row["input"] != input:
                db.execute("DELETE FROM segments WHERE item_id = ?", (row["id"],))
                db.execute(
                    "UPDATE items SET input = ?, options = ?, fingerprint = ?, state = ?, error = NULL,"
                    " frames = NULL, updated = ? WHERE id = ?",
                    (input, opts, fingerprint, ItemState.PENDING, now, row["id"]),
                )
            elif row["state"] == ItemState.FAILED:
                # A rerun retries failed items; their finished segments are kept.
                planned = db.execute("SELECT 1 FROM segments WHERE item_id = ?", (row["id"],)).fetchone()
                state = ItemState.PLANNED if planned else ItemState.PENDING
                db.execute(
                    "UPDATE items SET state = ?, error = NULL, updated = ? WHERE id = ?",
                    (state, now, row["id"]),
                )
        return self.item_by_output(output)

    def item_by_output(self, output: str) -> ItemRow:
        row = self._db.execute("SELECT * FROM items WHERE output = ?", (output,)).fetchone()
        if row is None:
            raise KeyError(output)
        return _item(row)

    def item(self, item_id: int) -> ItemRow:
        return _item(self._db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone())

    def items(self) -> list[ItemRow]:
        return [_item(r) for r in self._db.execute("SELECT * FROM items ORDER BY id")]

    def set_item_state(
        self,
        item_id: int,
        expected: Sequence[ItemState],
        state: ItemState,
        *,
        error: str | None = None,
    ) -> None:
        with self._tx() as db:
            _guarded_update(
                db,
                "UPDATE items SET state = ?, error = ?, updated = ? WHERE id = ?",
                (state, error, time.time(), item_id),
                "items",
                item_id,
                expected,
            )

    def add_warnings(self, item_id: int, warnings: Sequence[str]) -> None:
        """Record what a segment's encode or the assembly changed (each message once)."""
        if not warnings:
            return
        with self._tx() as db:
            row = db.execute("SELECT warnings FROM items WHERE id = ?", (item_id,)).fetchone()
            known = json.loads(row["warnings"] or "[]") if row is not None else []
            merged = known + [w for w in dict.fromkeys(warnings) if w not in known]
            db.execute("UPDATE items SET warnings = ? WHERE id = ?", (json.dumps(merged), item_id))

    def plan_item(self, item_id: int, segments: Sequence[tuple[int, int | None, int | None, int]]) -> None:
        """Store the plan: (start_pts, end_pts, warmup_pts, frames) per segment; PENDING -> PLANNED."""
        now = time.time()
        with self._tx() as db:
            _guarded_update(
                db,
                "UPDATE items SET state = ?, frames = ?, updated = ? WHERE id = ?",
                (ItemState.PLANNED, sum(s[3] for s in segments), now, item_id),
                "items",
                item_id,
                (ItemState.PENDING,),
            )
            db.executemany(
                "INSERT INTO segments (item_id, idx, start_pts, end_pts, warmup_pts, frames, state, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (item_id, i, start, end, warm, frames, SegmentState.PENDING, now)
                    for i, (start, end, warm, frames) in enumerate(segments)
                ],
            )

    # -- segments ------------------------------------------------------------------------------

    def segments(self, item_id: int) -> list[SegmentRow]:
        rows = self._db.execute("SELECT * FROM segments WHERE item_id = ? ORDER BY idx", (item_id,))
        return [_segment(r) for r in rows]

    def start_segment(self, segment_id: int) -> None:
        with self._tx() as db:
            _guarded_update(
                db,
                "UPDATE segments SET state = ?, updated = ? WHERE id = ?",
                (SegmentState.RUNNING, time.time(), segment_id),
                "segments",
                segment_id,
                (SegmentState.PENDING,),
            )

    def finish_segment(self, segment_id: int, part: str, seconds: float) -> None:
        """RUNNING -> DONE once its part file is complete under its final name."""
        with self._tx() as db:
            _guarded_update(
                db,
                "UPDATE segments SET state = ?, part = ?, seconds = ?, updated = ? WHERE id = ?",
                (SegmentState.DONE, part, seconds, time.time(), segment_id),
                "segments",
                segment_id,
                (SegmentState.RUNNING,),
            )

    def reset_segment(self, segment_id: int) -> None:
        """Back to PENDING (a worker failed, or its part file went missing)."""
        with self._tx() as db:
            db.execute(
                "UPDATE segments SET state = ?, part = NULL, seconds = NULL, updated = ? WHERE id = ?",
                (SegmentState.PENDING, time.time(), segment_id),
            )

    def recover(self) -> int:
        """After a crash: segments left RUNNING by a dead run go back to PENDING. Returns how many."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE segments SET state = ?, updated = ? WHERE state = ?",
                (SegmentState.PENDING, time.time(), SegmentState.RUNNING),
            )
            return cur.rowcount


def _guarded_update(
    db: sqlite3.Connection,
    sql: str,
    params: tuple[Any, ...],
    table: str,
    row_id: int,
    expected: Sequence[str],
) -> None:
    marks = ", ".join("?" * len(expected))
    cur = db.execute(f"{sql} AND state IN ({marks})", (*params, *expected))
    if cur.rowcount != 1:
        found = db.execute(f"SELECT state FROM {table} WHERE id = ?", (row_id,)).fetchone()
        raise StaleTransition(
            f"{table} {row_id}: expected state {'/'.join(expected)}, found {found[0] if found else 'none'}"
        )


def _item(row: sqlite3.Row) -> ItemRow:
    return ItemRow(
        id=row["id"],
        input=row["input"],
        output=row["output"],
        options=json.loads(row["options"]),
        fingerprint=row["fingerprint"],
        state=ItemState(row["state"]),
        error=row["error"],
        frames=row["frames"],
        updated=row["updated"],
        warnings=tuple(json.loads(row["warnings"] or "[]")) if "warnings" in row.keys() else (),  # noqa: SIM118
    )  # (sqlite3.Row: `in` looks at the values; a store read without the lock may predate the column)


def _segment(row: sqlite3.Row) -> SegmentRow:
    return SegmentRow(
        id=row["id"],
        item_id=row["item_id"],
        index=row["idx"],
        start_pts=row["start_pts"],
        end_pts=row["end_pts"],
        warmup_pts=row["warmup_pts"],
        frames=row["frames"],
        state=SegmentState(row["state"]),
        part=row["part"],
        seconds=row["seconds"],
    )


def fingerprint_of(path: str | Path, options: dict[str, Any]) -> str:
    """Input identity (size, mtime; a folder of scans: its files' count, total size, newest mtime) + options:
    a rerun resumes only if neither changed."""
    if os.path.isdir(path):
        stats = [entry.stat() for entry in os.scandir(path) if entry.is_file()]
        identity = [
            len(stats),
            sum(st.st_size for st in stats),
            max((st.st_mtime_ns for st in stats), default=0),
        ]
    else:
        st = os.stat(path)
        identity = [st.st_size, st.st_mtime_ns]
    return json.dumps([*identity, options], sort_keys=True)
