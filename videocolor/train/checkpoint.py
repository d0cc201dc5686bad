"""Checkpoints (everything needed to resume a phase exactly) and export to a self-describing weights file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from videocolor.config import ConfigError
from videocolor.errors import InputError, OutputError

__all__ = [
    "atomic_write_bytes",
    "export_checkpoint",
    "grow_weights",
    "load_checkpoint",
    "rng_state",
    "save_checkpoint",
    "set_rng_state",
]

VERSION = 1


def _temp_in(folder: Path, name: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    os.close(fd)
    return Path(tmp)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = _temp_in(path.parent, path.name)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """torch.save to a temporary name in the same folder, then rename: never a half-written checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_in(path.parent, path.name)
    try:
        torch.save({"version": VERSION, **state}, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's error
        raise InputError(f"{path} is not a videocolor training checkpoint ({type(exc).__name__})") from None
    if not isinstance(state, dict) or state.get("version") != VERSION or "generator" not in state:
        raise InputError(f"{path} is not a videocolor training checkpoint")
    return state


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _weights_output(out: str | Path, overwrite: bool) -> Path:
    out = Path(out)
    if out.exists() and not overwrite:
        raise OutputError(f"{out} exists (use --overwrite)")
    if not out.parent.is_dir():
        raise OutputError(f"output folder does not exist: {out.parent}")
    if out.suffix != ".safetensors":
        raise OutputError(f"weights are written as a .safetensors file, got {out.name}")
    return out


def export_checkpoint(
    ckpt: str | Path, out: str | Path, *, use_ema: bool = True, overwrite: bool = False
) -> Path:
    """Checkpoint -> fp16 safetensors via videocolor.nets.save_weights (architecture + provenance inside)."""
    from videocolor.nets import build_generator, save_weights

    out = _weights_output(out, overwrite)
    state = load_checkpoint(ckpt)
    weights = state["ema"] if use_ema and state.get("ema") is not None else state["generator"]
    model = build_generator(state["arch"])
    model.load_state_dict(weights)
    provenance = {
        "trained_with": "videocolor train",
        "checkpoint": Path(ckpt).name,
        "phase": state.get("phase", ""),
        "step": int(state.get("step", 0)),
        "ema": bool(use_ema and state.get("ema") is not None),
        "metrics": state.get("metrics") or {},
        "config": state.get("config") or {},
    }
    return save_weights(model.eval(), out, provenance=provenance, dtype=torch.float16)


def grow_weights(src: str | Path, out: str | Path, generator: str, *, overwrite: bool = False) -> Path:
    """Weights file -> the same function in the deeper `generator` (videocolor.nets.grow.deepen), written
    as a weights file to start training it from (`model.generator=... model.init=OUT`)."""
    from videocolor.nets import Generator, load_for_training, save_weights
    from videocolor.nets.grow import deepen
    from videocolor.nets.weights import read_architecture

    out = _weights_output(out, overwrite)
    config, meta = read_architecture(src)
    model = Generator(config)
    load_for_training(src, model)
    try:
        grown = deepen(model, generator)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    provenance = {
        "grown_from": Path(src).name,
        "from_generator": model.config.name,
        "source": meta["provenance"],
    }
    return save_weights(grown.eval(), out, provenance=provenance, dtype=torch.float16)
