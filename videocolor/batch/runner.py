"""The batch driver: plan every item into segments, run the segments on an executor, assemble.

The driver alone writes the job store. Each step is recorded only once its file is complete under its
final name, so a run killed at any point and started again with the same command redoes only the
segments (or the assembly) it had not finished, and its outputs equal an uninterrupted run's.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from videocolor.batch.executors import Executor
from videocolor.batch.faults import crash_point
from videocolor.batch.inputs import BatchItem
from videocolor.batch.plan import SegmentOptions, detect_scene_cuts, plan_segments
from videocolor.batch.status import print_table
from videocolor.batch.store import ItemRow, ItemState, JobStore, SegmentState, fingerprint_of
from videocolor.batch.worker import SegmentTask, sequence_fps
from videocolor.errors import VideocolorError
from videocolor.io import index_packets, join_parts, partial_path

__all__ = ["PARTS_DIR", "BatchReport", "ItemOutcome", "format_table", "run_batch"]

PARTS_DIR = ".videocolor-parts"


@dataclass(frozen=True)
class ItemOutcome:
    input: str
    output: str
    state: str
    frames: int | None
    seconds: float
    error: str | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchReport:
    items: tuple[ItemOutcome, ...]

    @property
    def failed(self) -> int:
        return sum(o.state == ItemState.FAILED for o in self.items)


class _Bars:
    """The overall bar, and one bar per item being colorized (frames/s and ETA on each)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.enabled = enabled
        self.overall = tqdm(total=total, unit="frame", desc="batch", disable=not enabled, dynamic_ncols=True)
        self.items: dict[int, tqdm] = {}

    def item(self, row: ItemRow, done: int) -> tqdm:
        if row.id not in self.items:
            self.items[row.id] = tqdm(
                total=row.frames,
                initial=done,
                unit="frame",
                desc=Path(row.output).name,
                position=len(self.items) + 1,
                leave=False,
                disable=not self.enabled,
                dynamic_ncols=True,
            )
        return self.items[row.id]

    def close_item(self, item_id: int) -> None:
        bar = self.items.pop(item_id, None)
        if bar is not None:
            bar.close()

    def close(self) -> None:
        for item_id in list(self.items):
            self.close_item(item_id)
        self.overall.close()


class _Driver:
    def __init__(
        self,
        store: JobStore,
        executor: Executor,
        segment_options: SegmentOptions,
        overwrite: bool,
    ) -> None:
        self.store = store
        self.executor = executor
        self.segment_options = segment_options
        self.overwrite = overwrite
        self.parts_root = store.folder / PARTS_DIR
        self.refused: dict[int, str] = {}  # done items this run may not redo: item id -> why (not stored)

    def parts_dir(self, item_id: int) -> Path:
        return self.parts_root / f"item-{item_id:06d}"

    def fail(self, row: ItemRow, error: str) -> None:
        current = self.store.item(row.id).state
        if current != ItemState.FAILED:
            self.store.set_item_state(row.id, (current,), ItemState.FAILED, error=error)

    # -- preparing items -------------------------------------------------------------------------

    def prepare(self, item: BatchItem, base_options: dict[str, Any]) -> ItemRow:
        options = {**base_options, **item.options}
        try:
            fingerprint = fingerprint_of(item.input, options)
        except OSError as exc:
            fingerprint = f"unreadable: {exc.strerror}"
        with contextlib.suppress(KeyError):
            done = self.store.item_by_output(str(item.output))
            if (
                done.state == ItemState.DONE
                and (done.fingerprint != fingerprint or done.input != str(item.input))
                and item.output.exists()
                and not self.overwrite
            ):
                # Refused for this run only: the store keeps the output as made, so the command that
                # made it still finds it done.
                self.refused[done.id] = (
                    f"output exists, made from another input or with other options (use --overwrite): "
                    f"{item.output}"
                )
                return done
        row = self.store.upsert_item(str(item.input), str(item.output), options, fingerprint)
        output = Path(row.output)
        if row.state == ItemState.DONE:
            if output.exists():
                shutil.rmtree(self.parts_dir(row.id), ignore_errors=True)
                return row
            # The output was removed since: make it again.
            row = self.store.upsert_item(row.input, row.output, options, fingerprint, restart=True)
        if row.state == ItemState.PENDING:
            shutil.rmtree(self.parts_dir(row.id), ignore_errors=True)
            try:
                self.plan(row, options)
            except (VideocolorError, OSError) as exc:
                self.fail(row, _one_line(exc))
        return self.store.item(row.id)

    def plan(self, row: ItemRow, options: dict[str, Any]) -> None:
        source, output = Path(row.input), Path(row.output)
        if not source.exists():
            raise VideocolorError(f"input not found: {source}")
        if output.exists() and not self.overwrite:
            raise VideocolorError(f"output exists (use --overwrite): {output}")
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise VideocolorError(f"cannot create {output.parent}: {exc.strerror}") from None
        rate = sequence_fps(source, options)  # checks the options too
        index = index_packets(source, rate)
        preferred = detect_scene_cuts(source, rate) if self.segment_options.scene_cuts else ()
        segments = plan_segments(index, self.segment_options, preferred=preferred)
        self.store.plan_item(row.id, [(s.start_pts, s.end_pts, s.warmup_pts, s.frames) for s in segments])

    def pending_tasks(self, row: ItemRow) -> list[SegmentTask]:
        tasks = []
        suffix = Path(row.output).suffix
        for seg in self.store.segments(row.id):
            part = self.parts_dir(row.id) / f"part-{seg.index:05d}{suffix}"
            if seg.state == SegmentState.DONE and Path(seg.part or "").is_file():
                continue
            if seg.state == SegmentState.DONE:  # recorded, but its part file is gone
                self.store.reset_segment(seg.id)
            tasks.append(
                SegmentTask(
                    segment_id=seg.id,
                    item_id=row.id,
                    index=seg.index,
                    input=row.input,
                    output=row.output,
                    part=str(part),
                    start_pts=seg.start_pts,
                    end_pts=seg.end_pts,
                    warmup_pts=seg.warmup_pts,
                    frames=seg.frames,
                    options=row.options,
                )
            )
        return tasks

    # -- running ---------------------------------------------------------------------------------

    def dispatch(self, tasks: Sequence[SegmentTask]) -> Iterator[SegmentTask]:
        for task in tasks:
            if self.store.item(task.item_id).state != ItemState.PLANNED:
                continue  # the item failed meanwhile: its other segments are not worth running
            self.store.start_segment(task.segment_id)
            yield task

    def finish_item(self, item_id: int) -> None:
        """Assemble once every segment is done (PLANNED or a half-done ASSEMBLING -> DONE)."""
        row = self.store.item(item_id)
        segments = self.store.segments(item_id)
        if row.state not in (ItemState.PLANNED, ItemState.ASSEMBLING):
            return
        if any(s.state != SegmentState.DONE for s in segments):
            return
        if row.state == ItemState.PLANNED:
            self.store.set_item_state(item_id, (ItemState.PLANNED,), ItemState.ASSEMBLING)
        try:
            warnings = join_parts(
                Path(row.input),
                [Path(s.part or "") for s in segments],
                Path(row.output),
                on_packet=lambda: crash_point("assembly-packet"),
                sequence_fps=sequence_fps(row.input, row.options),
            )
        except (VideocolorError, OSError) as exc:
            self.fail(row, _one_line(exc))
            return
        self.store.add_warnings(item_id, warnings)
        self.store.set_item_state(item_id, (ItemState.ASSEMBLING,), ItemState.DONE)
        shutil.rmtree(self.parts_dir(item_id), ignore_errors=True)


def run_batch(
    items: Sequence[BatchItem],
    store_dir: str | Path,
    executor: Executor,
    *,
    options: dict[str, Any] | None = None,
    segment_options: SegmentOptions | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> BatchReport:
    """Colorize every item; failures are recorded per item and the batch goes on."""
    base = dict(options or {})
    with JobStore(store_dir) as store:
        store.recover()
        # A run killed while assembling leaves a temporary file; it is rewritten from the start.
        for item in items:
            partial_path(item.output).unlink(missing_ok=True)
        driver = _Driver(store, executor, segment_options or SegmentOptions(), overwrite)
        rows = [driver.prepare(item, base) for item in items]
        work = {row.id: driver.pending_tasks(row) for row in rows if row.state == ItemState.PLANNED}
        todo = sum(t.frames for tasks in work.values() for t in tasks)
        bars = _Bars(todo, progress)
        try:
            for row in rows:
                if row.id in work and not work[row.id]:
                    driver.finish_item(row.id)  # killed after its last segment: only assembly is left
                if row.state == ItemState.ASSEMBLING:
                    driver.finish_item(row.id)
            tasks = [t for row in rows for t in work.get(row.id, [])]
            remaining = {item_id: len(ts) for item_id, ts in work.items()}
            by_id = {row.id: row for row in rows}
            already = {i: (by_id[i].frames or 0) - sum(t.frames for t in ts) for i, ts in work.items()}

            def on_frames(task: SegmentTask, n: int) -> None:
                bars.overall.update(n)
                bars.item(by_id[task.item_id], already[task.item_id]).update(n)

            for result in executor.run(driver.dispatch(tasks), on_frames):
                task = result.task
                row = by_id[task.item_id]
                if result.error is not None:
                    store.reset_segment(task.segment_id)
                    driver.fail(row, result.error)
                    bars.close_item(row.id)
                    continue
                store.finish_segment(task.segment_id, task.part, result.seconds)
                store.add_warnings(task.item_id, result.warnings)
                crash_point("segment-done")
                remaining[task.item_id] -= 1
                if remaining[task.item_id] == 0:
                    bars.close_item(row.id)
                    driver.finish_item(task.item_id)
        finally:
            bars.close()
            with contextlib.suppress(OSError):  # only once no item has parts left in it
                driver.parts_root.rmdir()
        return BatchReport(tuple(_outcome(store, row.id, driver.refused.get(row.id)) for row in rows))


def _outcome(store: JobStore, item_id: int, refused: str | None = None) -> ItemOutcome:
    row = store.item(item_id)
    if refused is not None:
        return ItemOutcome(row.input, row.output, ItemState.FAILED, None, 0.0, refused)
    seconds = sum(s.seconds or 0.0 for s in store.segments(item_id))
    return ItemOutcome(row.input, row.output, row.state, row.frames, seconds, row.error, row.warnings)


def _one_line(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, VideocolorError) else f"{type(exc).__name__}: {exc}"
    return (text.splitlines() or [type(exc).__name__])[0]


def format_table(outcomes: Sequence[ItemOutcome], file: TextIO | None = None) -> None:
    """The end-of-batch summary: one row per item, with its one-line error if it failed, else the warnings
    of its segments' encode and its assembly."""
    file = file or sys.stdout
    rows = [
        (
            o.state,
            "" if o.frames is None else str(o.frames),
            f"{o.seconds:.1f}",
            o.output,
            o.error or "; ".join(o.warnings),
        )
        for o in outcomes
    ]
    print_table(("STATE", "FRAMES", "SECONDS", "OUTPUT", "ERROR / WARNING"), rows, file)
    done = sum(o.state == ItemState.DONE for o in outcomes)
    print(f"{done} of {len(outcomes)} done, {len(outcomes) - done} failed", file=file)
