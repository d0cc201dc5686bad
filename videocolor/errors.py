"""Errors a user can act on: the CLI prints them as one line and exits non-zero."""

from __future__ import annotations

__all__ = ["InputError", "OutputError", "VideocolorError", "WeightsError"]


class VideocolorError(Exception):
    """Base class: the message is complete and fit to print as one line."""


class InputError(VideocolorError):
    """The input is missing, unreadable, not media, corrupt or unsupported."""


class OutputError(VideocolorError):
    """The output cannot be written (exists, same as input, folder not writable...)."""


class WeightsError(VideocolorError):
    """A weights file is missing, malformed or does not match the architecture."""
