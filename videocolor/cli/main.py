"""`videocolor` command line: parses arguments, calls the library, prints one-line errors."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from videocolor.errors import VideocolorError
from videocolor.runtime import tune_process

__all__ = ["build_parser", "main", "run_command"]

# Each module defines `register(subparsers)`, which adds its subcommand and sets `func(args) -> int`.
_COMMANDS = (
    "videocolor.cli.colorize",
    "videocolor.cli.probe",
    "videocolor.cli.models",
    "videocolor.cli.train",
    "videocolor.cli.evaluate",
    "videocolor.cli.frames",
    "videocolor.cli.batch",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="videocolor", description="Colorize black-and-white video and photos."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


class _Terminated(KeyboardInterrupt):
    """SIGTERM (kill, timeout, a scheduler's stop) unwinds like Ctrl-C: partial outputs are removed."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def run_command(args: argparse.Namespace) -> int:
    """Run a parsed command: logging as asked, user errors as one line (exit 2), Ctrl-C as exit 130,
    SIGTERM as exit 143 (both after cleaning up)."""
    tune_process()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="videocolor: %(message)s"
    )
    main_thread = threading.current_thread() is threading.main_thread()  # only it may take signals
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return int(args.func(args) or 0)
    except VideocolorError as exc:
        if args.verbose:
            raise
        print(f"videocolor: error: {exc}", file=sys.stderr)
        return 2
    except _Terminated:
        print("videocolor: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("videocolor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `videocolor probe X | head -1`: the reader left, which is not an error to show
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        return 141
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
