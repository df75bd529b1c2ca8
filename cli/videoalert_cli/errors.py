"""Errors the CLI reports as one line, and the exit status of each kind (documented in `videoalert --help`)."""
from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1  # the command ran but could not do what was asked
EXIT_USAGE = 2  # the command line itself is wrong
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it
EXIT_BROKEN_PIPE = 141  # the reader of our output went away (128 + SIGPIPE), as `git log | head` gives


class CliError(Exception):
    """A failure the CLI reports as one line (no traceback) with its exit status."""

    exit_code = EXIT_FAILURE
    user_facing = True


class UserError(CliError):
    """The command could not do what was asked: a missing file, an unknown camera, AWS refused (exit 1)."""


class UsageError(CliError):
    """The command line is wrong: a bad option value, options that exclude each other (exit 2)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, prog: str | None = None):
        super().__init__(message)
        self.prog = prog
