"""Errors a planner can act on: each names the file, the key and what is wrong."""

from __future__ import annotations


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
