"""What a batch colorizes: files, folders (their tree mirrored under OUTDIR), globs, and manifests."""

from __future__ import annotations

import csv
import glob
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from videocolor.errors import InputError, OutputError
from videocolor.io.files import SEQUENCE_SUFFIXES, VIDEO_SUFFIXES, media_files

__all__ = ["BatchItem", "expand_inputs", "is_manifest", "read_manifest"]

_MANIFEST_EXTENSIONS = (".csv", ".jsonl")


@dataclass(frozen=True)
class BatchItem:
    input: Path
    output: Path
    options: dict[str, Any] = field(default_factory=dict)  # per-item overrides: preset, model, ...


def is_manifest(path: str | Path) -> bool:
    return Path(path).suffix.lower() in _MANIFEST_EXTENSIONS


def _glob_base(pattern: str) -> Path:
    parts = Path(pattern).parts
    first = next(i for i, p in enumerate(parts) if glob.has_magic(p))
    return Path(*parts[:first]) if first else Path(".")


def is_pattern(text: str) -> bool:
    """A glob to expand: wildcards, and no file or folder of that very name (names may hold `[` or `*`)."""
    return glob.has_magic(text) and not os.path.lexists(text)


def expand_inputs(inputs: Sequence[str], outdir: str | Path) -> list[BatchItem]:
    """Files map to OUTDIR/name, a folder's videos to OUTDIR/<path inside the folder>, a glob's matches
    to OUTDIR/<path below the glob's first wildcard>; in a folder without videos, each folder that holds
    images (film scans; the folder itself too) is one video, OUTDIR/<path inside the folder>.mkv (the
    folder itself: OUTDIR/<its name>.mkv). Manifests are read with their own rules."""
    out = Path(outdir).resolve()
    items: list[BatchItem] = []
    for text in inputs:
        if is_manifest(text):
            items += read_manifest(text, out)
            continue
        if is_pattern(text):
            base = _glob_base(text).resolve()
            matches = sorted(Path(p).resolve() for p in glob.glob(text, recursive=True))
            videos = [p for p in matches if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES]
            if not videos:
                raise InputError(f"no video matches {text}")
            items += [BatchItem(p, out / p.relative_to(base)) for p in videos]
            continue
        path = Path(text).resolve()
        if path.is_dir():
            videos = media_files(path, VIDEO_SUFFIXES, skip=out)
            scans = [] if videos else _scan_folders(path, skip=out)
            if not videos and not scans:
                raise InputError(f"no video files or folders of images in {text}")
            items += [BatchItem(p, out / p.relative_to(path)) for p in videos]
            # A folder of scans is one video: OUTDIR/<its path inside the folder>.mkv.
            items += [BatchItem(f, out / f.relative_to(path).parent / _output_name(f)) for f in scans]
        elif path.is_file():
            items.append(BatchItem(path, out / path.name))
        else:
            raise InputError(f"input not found: {text}")
    _check_outputs(items)
    return items


def _output_name(src: Path) -> str:
    """An item's default output name: the input's, or for a folder of scans, a video named after it."""
    return f"{src.name}.mkv" if src.is_dir() else src.name


def _scan_folders(root: Path, skip: Path) -> list[Path]:
    """The folders under `root` (itself included) that directly hold images, in name order; hidden ones and
    `skip` (the output folder) left out."""
    found = []
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and Path(here, d) != skip)
        if any(Path(f).suffix.lower() in SEQUENCE_SUFFIXES and not f.startswith(".") for f in files):
            found.append(Path(here))
    return found


def read_manifest(path: str | Path, outdir: str | Path | None = None) -> list[BatchItem]:
    """CSV (header row) or JSONL: an `input` column, an optional `output` column (default: OUTDIR/name),
    every other column a per-item option. Relative paths are relative to the manifest's folder."""
    manifest = Path(path)
    try:
        text = manifest.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read manifest {path}: {exc.strerror}") from None
    rows: list[tuple[int, dict[str, Any]]] = []
    if manifest.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        for n, row in enumerate(reader, start=2):
            if None in row or None in row.values():
                raise InputError(f"{path}:{n}: wrong number of columns")
            rows.append((n, {k.strip(): _csv_value(v) for k, v in row.items() if v.strip() != ""}))
    else:
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{n}: invalid JSON: {exc.msg}") from None
            if not isinstance(row, dict):
                raise InputError(f"{path}:{n}: each line must be a JSON object")
            rows.append((n, row))
    if not rows:
        raise InputError(f"manifest {path} lists no items")
    here = manifest.resolve().parent
    items = []
    for n, row in rows:
        options = dict(row)
        src = options.pop("input", None)
        if not isinstance(src, str) or not src:
            raise InputError(f"{path}:{n}: missing 'input'")
        dst = options.pop("output", None)
        src_path = (here / src).resolve()
        if dst is not None:
            dst_path = (here / str(dst)).resolve() if outdir is None else (Path(outdir) / str(dst)).resolve()
        elif outdir is not None:
            dst_path = Path(outdir).resolve() / _output_name(src_path)
        else:
            raise InputError(f"{path}:{n}: no 'output' and no -o OUTDIR")
        items.append(BatchItem(src_path, dst_path, options))
    _check_outputs(items)
    return items


def _csv_value(text: str) -> Any:
    """CSV cells are strings; numbers are read as numbers so `render_factor` is an int."""
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _check_outputs(items: Sequence[BatchItem]) -> None:
    seen: dict[Path, Path] = {}
    for item in items:
        if item.output == item.input:
            raise OutputError(f"output would overwrite its input: {item.input}")
        if item.output in seen:
            raise OutputError(f"{seen[item.output]} and {item.input} both write {item.output}")
        seen[item.output] = item.input
