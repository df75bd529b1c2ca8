"""Errors the CLI reports as one clear line and a non-zero exit."""


class UserError(Exception):
    """A problem the user can fix (bad argument, missing credentials, unknown stream)."""

    user_facing = True
