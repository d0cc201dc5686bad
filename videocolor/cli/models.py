"""`videocolor models` (being written)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="(not yet available)")
    p.set_defaults(func=lambda args: print("videocolor models: not yet available") or 1)
