"""`python -m videocolor.train run|export ...`: the `videocolor train` command without the other
subcommands, so it runs where PyAV is missing (training machines need only torch, OpenCV and numpy)."""

from __future__ import annotations

import argparse
import logging
import sys

from videocolor.cli.train import add_actions
from videocolor.errors import VideocolorError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m videocolor.train", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="show tracebacks and debug logs")
    add_actions(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="videocolor: %(message)s"
    )
    try:
        return int(args.func(args) or 0)
    except VideocolorError as exc:
        if args.verbose:
            raise
        print(f"videocolor: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
