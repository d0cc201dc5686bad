"""Output files appear complete or not at all: write to a temporary name beside them, rename at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from videocolor.errors import OutputError

__all__ = ["atomic_output", "check_output"]


def check_output(dst: Path, *, overwrite: bool, inputs: Sequence[Path] = ()) -> None:
    """Raise OutputError if `dst` cannot or must not be written."""
    for src in inputs:
        if dst.resolve() == src.resolve() or (dst.exists() and src.exists() and dst.samefile(src)):
            raise OutputError(f"output path is the input: {dst}")
    if dst.is_dir():
        raise OutputError(f"output is a folder: {dst}")
    parent = dst.parent
    if not parent.is_dir():
        raise OutputError(f"output folder does not exist: {parent}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"output folder is not writable: {parent}")
    if dst.exists() and not overwrite:
        raise OutputError(f"output exists: {dst} (use --overwrite to replace it)")


@contextmanager
def atomic_output(dst: str | Path, *, overwrite: bool = False, inputs: Sequence[Path] = ()) -> Iterator[Path]:
    """Yield a temporary path (same folder and suffix as `dst`); on success rename it to `dst`, on any
    error or interrupt delete it, so nothing half-written is ever left at `dst`."""
    dst = Path(dst)
    check_output(dst, overwrite=overwrite, inputs=inputs)
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
