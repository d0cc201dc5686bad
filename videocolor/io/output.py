"""Output files appear complete or not at all: write to a temporary name beside them, rename at the end
(an image sequence: into a temporary folder beside them, its files moved into place at the end)."""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from videocolor.errors import OutputError
from videocolor.io.files import is_sequence_pattern, pattern_glob

__all__ = ["atomic_output", "check_output"]


def check_output(dst: Path, *, overwrite: bool, inputs: Sequence[Path] = ()) -> None:
    """Raise OutputError if `dst` cannot or must not be written."""
    for src in inputs:
        if dst.resolve() == src.resolve() or (dst.exists() and src.exists() and dst.samefile(src)):
            raise OutputError(f"output path is the input: {dst}")
        if is_sequence_pattern(dst) and src.resolve() in (dst.parent.resolve(), *_matches(dst)):
            raise OutputError(f"output frames would go among the input's: {dst} (choose another folder)")
    if dst.is_dir():
        raise OutputError(f"output is a folder: {dst}")
    parent = dst.parent
    if not parent.is_dir():
        raise OutputError(f"output folder does not exist: {parent}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"output folder is not writable: {parent}")
    if dst.exists() and not overwrite:
        raise OutputError(f"output exists: {dst} (use --overwrite to replace it)")
    if is_sequence_pattern(dst) and not overwrite and (found := _matches(dst)):
        raise OutputError(
            f"output exists: {found[0]} and {len(found) - 1} more (use --overwrite to replace them)"
        )


def _matches(pattern: Path) -> list[Path]:
    """The files an image sequence's name pattern names, in order."""
    return sorted(Path(p).resolve() for p in glob.glob(pattern_glob(pattern)))


@contextmanager
def atomic_output(dst: str | Path, *, overwrite: bool = False, inputs: Sequence[Path] = ()) -> Iterator[Path]:
    """Yield a temporary path (same folder and suffix as `dst`); on success rename it to `dst`, on any
    error or interrupt delete it, so nothing half-written is ever left at `dst`."""
    dst = Path(dst)
    check_output(dst, overwrite=overwrite, inputs=inputs)
    if is_sequence_pattern(dst):
        with _atomic_sequence(dst) as tmp:
            yield tmp
        return
    tmp = dst.with_name(f".{dst.stem}.partial-{os.getpid()}{dst.suffix}")
    try:
        yield tmp
        if not tmp.exists():
            raise OutputError(f"nothing was written for {dst}")
        os.replace(tmp, dst)
    except OutputError as exc:  # name the file the user asked for, not the temporary one
        raise OutputError(str(exc).replace(str(tmp), str(dst))) from None
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def _atomic_sequence(dst: Path) -> Iterator[Path]:
    """The pattern `dst` inside a temporary folder beside it; on success the files written there replace
    the sequence at `dst` (frames of an earlier, longer one included), on any error the folder goes."""
    folder = Path(tempfile.mkdtemp(prefix=f".{dst.stem.replace('%', '')}.partial-", dir=dst.parent))
    try:
        yield folder / dst.name
        written = sorted(folder.iterdir())
        if not written:
            raise OutputError(f"nothing was written for {dst}")
        for old in _matches(dst):
            old.unlink()
        for path in written:
            os.replace(path, dst.parent / path.name)
    except OutputError as exc:
        raise OutputError(str(exc).replace(str(folder / dst.name), str(dst))) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
