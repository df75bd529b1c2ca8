"""videoalert: one alert when a person is in a home-security camera's minute of video (AWS, serverless).

Every command works on the deployed stack (your AWS credentials, like the AWS CLI) or, with --local, on a
running `videoalert run-local --serve`.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any, NoReturn

from .errors import EXIT_BROKEN_PIPE, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, CliError, UsageError
from .redaction import redact

# (command, module in videoalert_cli.commands), in the order `videoalert --help` and README.md list them.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("run-local", "run_local"),
    ("status", "status"),
    ("list", "list_videos"),
    ("events", "events"),
    ("upload", "upload"),
    ("push", "push"),
    ("camera", "camera"),
    ("feedback", "feedback"),
    ("rule", "rule"),
    ("tune", "tune"),
    ("review", "review"),
    ("webpush", "webpush"),
    ("export-dataset", "export_dataset"),
    ("redrive", "redrive"),
    ("serve", "serve"),
)

EPILOG = """\
environment:
  AWS_PROFILE, AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
                          your AWS credentials and region, read as the AWS CLI reads them;
                          --profile and --region override them
  VIDEOALERT_STACK        the deployed stack to use (default videoalert-dev); --stack overrides it
  VIDEOALERT_LOCAL_STATE  where `run-local --serve` records its emulator for --local
                          (default $XDG_STATE_HOME/videoalert/local-run.json, ~/.local/state/... without it)
  VIDEOALERT_SHARED_DATA  the folder of the sample clips run-local uses (default ../shared/data beside the
                          repository)
  POWERTOOLS_LOG_LEVEL    run-local: log level of the Lambda handlers it runs (default WARNING)

exit status:
  0 success, 1 the command failed (one line on stderr says why; --debug adds the traceback),
  2 the command line is wrong, 130 interrupted (Ctrl-C), 141 the output pipe closed (as in `... | head`)

Run `videoalert COMMAND --help` for a command's options."""


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors raised (one line, exit 2) instead of printed with the usage block."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, prog=self.prog)

    def parse_args(self, args: Any = None, namespace: Any = None) -> argparse.Namespace:  # type: ignore[override]
        parsed: argparse.Namespace
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:  # named against the command they were given to, not the top level
            command = getattr(parsed, "command", None)
            raise UsageError(f"unrecognized arguments: {' '.join(extras)}",
                             prog=f"{self.prog} {command}" if command else self.prog)
        return parsed


class _Version(argparse.Action):
    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any):
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit", default=argparse.SUPPRESS)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> NoReturn:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("videoalert")
        except PackageNotFoundError:
            number = "unknown (not installed)"
        print(f"videoalert {number} (Python {sys.version.split()[0]})")
        parser.exit()


def build_parser() -> Parser:
    from .resources import add_aws_arguments

    parser = Parser(prog="videoalert", description=__doc__, epilog=EPILOG)
    parser.add_argument("--version", action=_Version)
    parser.add_argument("--debug", action="store_true", help="on an error, print the traceback too")
    add_aws_arguments(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="on an error, print the traceback too")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser)
    for _name, module_name in COMMANDS:
        module = importlib.import_module(f"{__package__}.commands.{module_name}")
        module.register(sub, [common])  # each defines its parser and sets func=run
    return parser


def describe(exc: BaseException) -> str:
    """One line for an exception nobody turned into a CliError: AWS's own errors named plainly."""
    botocore = sys.modules.get("botocore.exceptions")
    if botocore is not None:
        if isinstance(exc, botocore.NoCredentialsError | botocore.PartialCredentialsError):
            return ("no AWS credentials found: run `aws configure`, set AWS_PROFILE or pass --profile "
                    "(or use --local with a running `videoalert run-local --serve`)")
        if isinstance(exc, botocore.NoRegionError):
            return "no AWS region: pass --region or set AWS_REGION"
        if isinstance(exc, botocore.EndpointConnectionError):
            return f"cannot reach {exc.kwargs.get('endpoint_url')}: is the service (or the local emulator) running?"
        if isinstance(exc, botocore.ClientError):
            error = exc.response.get("Error", {})
            return f"AWS refused {exc.operation_name}: {error.get('Code')}: {error.get('Message')}"
    text = str(exc) or repr(exc)
    return " ".join(f"{type(exc).__name__}: {text}".split())


def _say(prog: str, message: str) -> None:
    try:
        print(f"{prog}: error: {' '.join(redact(message).split())}", file=sys.stderr)
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass


def _traceback() -> None:
    """--debug: the traceback of the error being handled, with camera URL secrets replaced (FFmpeg's messages and
    the frames' arguments repeat the URL)."""
    import contextlib
    import traceback

    with contextlib.suppress(BrokenPipeError, ValueError):
        print(redact(traceback.format_exc()), end="", file=sys.stderr)


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout has no file descriptor (tests capture it)
        pass


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    prog, debug = "videoalert", "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        prog, debug = f"videoalert {args.command}", bool(args.debug)
        code = int(args.func(args) or EXIT_OK)
        sys.stdout.flush()
        return code
    except SystemExit as exc:  # --help and --version end here, after printing
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
            return EXIT_BROKEN_PIPE
        return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_FAILURE)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        _say(prog, "interrupted")
        return EXIT_INTERRUPTED
    except UsageError as exc:
        where = exc.prog or prog
        _say(where, f"{exc} (see `{where} --help`)")
        return exc.exit_code
    except CliError as exc:
        if debug:
            _traceback()
        _say(prog, str(exc))
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - a CLI reports any failure as one line; --debug shows the rest
        if debug:
            _traceback()
        _say(prog, describe(exc) + ("" if debug else " (run with --debug for the traceback)"))
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
