"""Named crash points for the resume tests: `VIDEOCOLOR_BATCH_KILL_AT=NAME:N` SIGKILLs this process the
N-th time it passes point NAME, as a power cut or an OOM kill would (no cleanup, no finally blocks).
Points: "segment-frame" (a frame fed to a segment), "segment-done" (a part recorded, between segments),
"assembly-packet" (a packet written while assembling). Unset, a point costs one dict lookup."""

from __future__ import annotations

import os
import signal
from collections import Counter

__all__ = ["ENV", "crash_point"]

ENV = "VIDEOCOLOR_BATCH_KILL_AT"
_hits: Counter[str] = Counter()


def crash_point(name: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    target, _, count = spec.partition(":")
    if target != name:
        return
    _hits[name] += 1
    if _hits[name] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)
