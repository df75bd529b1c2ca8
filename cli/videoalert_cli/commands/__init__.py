"""Subcommands of `videoalert`: each module defines register(subparsers); keep imports inside run()."""
