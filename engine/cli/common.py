"""What every command of the command line shares: exit codes, the input error, output files and the progress bar."""

from __future__ import annotations

import sys

from engine.util.files import WriteError, write_atomic


EXIT_PASS, EXIT_FAIL, EXIT_INPUT = 0, 1, 2
"""Exit codes: the run met the bar (or all is well), it did not, bad input."""


class InputError(Exception):
    """Bad input from the user: the message says what and where."""


def write_output(path: str, text: str) -> None:
    """Write a file the user asked for, atomically; a problem is an :class:`InputError`."""
    try:
        write_atomic(path, text)
    except WriteError as exc:
        raise InputError(str(exc)) from None


class Progress:
    """A one-line progress bar on standard error (only when it is a terminal, or forced)."""

    def __init__(self, label: str, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled
        self._last = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * done / total) if total else width
        percent = int(100 * done / total) if total else 100
        if percent == self._last and done != total:
            return
        self._last = percent
        sys.stderr.write(f"\r{self.label:<24} [{'#' * filled}{'-' * (width - filled)}] {done}/{total} runs")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()
