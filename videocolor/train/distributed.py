"""The process group a training run is part of: device, rank and world, and the few collectives it needs.

One code path for a single process (CPU or one GPU) and ``torchrun`` (DDP over gloo on CPU, nccl on GPU):
with world 1 every function here is a no-op on its input.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from videocolor.errors import InputError

__all__ = ["Env", "all_mean", "any_rank", "setup_env", "unwrap"]


@dataclass(frozen=True)
class Env:
    device: torch.device
    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def cuda(self) -> bool:
        return self.device.type == "cuda"


def setup_env(device: str = "auto") -> Env:
    """Device and process group: torchrun's environment (WORLD_SIZE, RANK, LOCAL_RANK) starts DDP."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InputError("--device cuda asked for, but no CUDA device is available")
        dev = torch.device("cuda", local if world > 1 else (torch.device(device).index or 0))
        torch.cuda.set_device(dev)
    elif device == "cpu":
        dev = torch.device("cpu")
    else:
        raise InputError(f"unknown device {device!r} (auto, cpu, cuda, cuda:N)")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    return Env(dev, rank, world)


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside a DDP wrapper (what checkpoints store), or `model` itself."""
    return model.module if isinstance(model, DDP) else model


def all_mean(value: torch.Tensor, env: Env) -> torch.Tensor:
    """The mean of `value` over the ranks (for logging and decisions every rank must share)."""
    if env.world > 1:
        value = value.detach().clone()
        dist.all_reduce(value)
        value /= env.world
    return value


def any_rank(flag: bool, env: Env) -> bool:
    """True on every rank when `flag` is true on any (so that all ranks stop at the same step)."""
    if env.world == 1:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=env.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)
