"""One exception type for bad input, so the CLI can print a single line and exit non-zero."""
from __future__ import annotations

from pathlib import Path


class ScribblegapError(Exception):
    """Base class of every error this package raises on purpose."""


class DataError(ScribblegapError):
    """A file is missing, corrupt or inconsistent. The message names the file and the problem."""

    def __init__(self, path: str | Path | None, problem: str):
        self.path = None if path is None else Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path is not None else problem)

    def __reduce__(self):  # raised in worker processes and pickled back to the parent
        return type(self), (self.path, self.problem)


class ConfigError(ScribblegapError):
    """A setting or command-line option does not make sense."""
