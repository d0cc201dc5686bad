"""`python -m videocolor.train run|export|grow ...`: the `videocolor train` command without the other
subcommands, so it runs where PyAV is missing (training machines need only torch, OpenCV and numpy)."""

from __future__ import annotations

import argparse
import sys

from videocolor.cli.main import run_command
from videocolor.cli.train import add_actions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m videocolor.train", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="show tracebacks and debug logs")
    add_actions(parser)
    return run_command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
