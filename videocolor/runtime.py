"""Process-wide settings for a long tensor job (glibc's malloc, OpenCV's threads, Python's GC), and
whether this CPU computes bf16 in hardware.

PyTorch's CPU tensors and NumPy's arrays come straight from malloc. With glibc's defaults, buffers of a
few MB are mmap'd and unmapped one by one, and every thread gets its own arena that is trimmed back to
the OS, so each new activation or frame buffer is page-faulted and zeroed afresh: on a 2-core VM that was
~14 % of a colorize run's CPU time in the kernel. Keeping freed memory in one arena instead makes the
model ~25 % faster here. Freed memory is held for the next batch instead of being given back, so the
peak RSS of a run is a little higher (a 480p colorize with the default model: 1.19 vs 1.10 GB), and it
stays flat over the length of the input.

OpenCV runs each call on one thread: the pipeline's stages are the parallelism, and on the small
images the smoother works on, OpenCV's pool cost more CPU than it saved (the smoother's CPU per 640x480
frame 2.1-2.6 ms with it, 1.5-1.9 ms without).

Python's cyclic garbage collector re-scanned the ~200k objects of the imported libraries in every full
collection (~1 % of the CPU time); objects that exist before the job are frozen out of its scans.

Called by the command line (and batch workers) after the imports and before any tensor work; a library
user may call it too."""

from __future__ import annotations

import ctypes
import functools
import gc
import platform

import cv2

__all__ = ["cpu_has_native_bf16", "tune_malloc", "tune_process"]

# mallopt() parameters, from glibc's malloc.h.
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8

_SETTINGS = (
    (_M_ARENA_MAX, 1),  # threads share one arena: memory one thread frees, the next batch reuses
    (_M_MMAP_THRESHOLD, 32 << 20),  # glibc's largest: buffers below 32 MB come from the heap, not mmap
    (_M_TRIM_THRESHOLD, 1 << 30),  # keep the heap's free top between batches (up to 1 GB of it)
    (_M_TOP_PAD, 64 << 20),  # grow the heap in large steps
)


def tune_malloc() -> bool:
    """Apply the settings above where the C library is glibc; True if it took them (else a no-op)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    taken = [mallopt(param, value) == 1 for param, value in _SETTINGS]  # all tried, even after a refusal
    return all(taken)


@functools.cache
def tune_process() -> None:
    """tune_malloc(), OpenCV on one thread per call, and the objects alive now (modules, the libraries'
    own) left out of GC scans. Once per process: a program that runs several commands (the tests do)
    must not freeze each command's leftovers, which the GC could then never collect."""
    tune_malloc()
    cv2.setNumThreads(1)
    gc.freeze()


@functools.cache
def cpu_has_native_bf16() -> bool:
    """AMX or AVX512-BF16: oneDNN runs bf16 convolutions in hardware (elsewhere it emulates them, slower
    than fp32). torch.cpu's own probes; absent from a torch that lacks them, which reads as no."""
    import torch  # here: the command line imports this module before it knows it needs torch

    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in probes)
