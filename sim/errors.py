"""Errors a planner can act on: each names the file, the key and what is wrong."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Characters a terminal acts on rather than shows: C0/C1 controls (newline, escape), line
separators and bidirectional overrides."""
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escaped(m: re.Match[str]) -> str:
    c = m.group()
    if c in _NAMED:
        return _NAMED[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x20 else f"\\u{ord(c):04x}"  # JSON-safe too


def escape(text: object) -> str:
    """``text`` safe to echo on one terminal line: control characters written as escapes
    (``\\n``, ``\\x1b``, ``\\u007f``, ``\\u202e``), everything else as is."""
    return _CONTROL.sub(_escaped, str(text))


def escape_lines(text: str) -> str:
    """Like :func:`escape`, but newlines stay (multi-line terminal output)."""
    return "\n".join(escape(line) for line in text.split("\n"))


class ClauseSimError(Exception):
    """Base class of the errors the command line reports as one line, exit code 2."""


class ScenarioError(ClauseSimError):
    """A scenario file or override is wrong.

    Parameters
    ----------
    file : str
        The scenario file (or ``--set`` for an override).
    key : str
        Dotted path of the offending key, e.g. ``works[0].dwellings``; empty for the whole file.
    message : str
        What is wrong, in a few words.
    """

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = file
        self.key = key
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.key, self.message) if p]
        return ": ".join(parts)


class ConservationError(ClauseSimError):
    """A replication broke a conservation law (people or hours): a bug, never bad input."""
