"""The CLI's conventions, command by command: --help, bad arguments, a stopped emulator, broken pipes.

Exit 0 success, 1 runtime failure, 2 usage; every failure one line on stderr, a traceback only with --debug.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from videoalert_cli import resources
from videoalert_cli.main import COMMANDS, build_parser, main

REPO = Path(__file__).resolve().parents[2]
COMMAND_NAMES = [name for name, _ in COMMANDS]
VIDEOALERT = str(Path(sys.executable).parent / "videoalert")


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    def run(*argv: str) -> Result:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def assert_one_line_error(result: Result, prog: str) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"{prog}: error: "), lines[0]
    assert "Traceback" not in result.err + result.out
    return lines[0]


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Each command's parser; a command with actions of its own (`camera add`, ...) is there once per action."""
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    found: dict[str, argparse.ArgumentParser] = {}
    for name, sub in action.choices.items():
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        found.update({f"{name} {inner}": p for inner, p in nested[0].choices.items()} if nested else {name: sub})
    return found


# --- help, version ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMAND_NAMES)
def test_every_command_has_help_and_exits_0(cli, command):
    result = cli(command, "--help")
    assert result.code == 0 and result.err == ""
    assert result.out.startswith(f"usage: videoalert {command}")


def test_top_level_help_lists_every_command_the_environment_and_the_exit_codes(cli):
    result = cli("--help")
    assert result.code == 0
    listed = re.findall(r"^    (\S+)", result.out.split("options:")[0], re.MULTILINE)
    assert listed == COMMAND_NAMES
    assert "exit status:" in result.out and "2 the command line is wrong" in result.out
    assert "VIDEOALERT_STACK" in result.out and "AWS_PROFILE" in result.out


def test_version_names_the_package_version(cli):
    from importlib.metadata import version

    result = cli("--version")
    assert result.code == 0 and result.out.startswith(f"videoalert {version('videoalert')} (Python ")


def test_every_environment_variable_the_cli_reads_is_documented_in_help(cli):
    # Given every environment variable named in the CLI's code and the local run's (os.environ.get / [] / getenv
    # with a literal)
    names = set()
    for path in [*(REPO / "cli" / "videoalert_cli").rglob("*.py"), *(REPO / "videoalert_local").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args and \
                    node.func.attr in ("get", "getenv") and isinstance(node.args[0], ast.Constant) and \
                    isinstance(node.args[0].value, str) and node.args[0].value.isupper():
                names.add(node.args[0].value)
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and \
                    isinstance(node.slice.value, str) and ast.unparse(node.value) == "os.environ":
                names.add(node.slice.value)
    names -= {"AWS_ENDPOINT_URL"}  # set (never read) by run-local for the handlers it runs
    assert {"VIDEOALERT_STACK", "VIDEOALERT_LOCAL_STATE", "VIDEOALERT_SHARED_DATA"} <= names
    # When the top-level help is printed, Then each is explained there
    text = cli("--help").out
    assert sorted(n for n in names if n not in text) == []


def test_every_argument_has_help_and_every_command_that_prints_data_has_json():
    for name, parser in subcommands().items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"{name}: {action.dest} has no help"
        options = {o for a in parser._actions for o in a.option_strings}
        assert ("--json" in options) == (name != "serve"), name


def test_choices_are_declared_where_a_field_takes_named_values():
    from videoalert.domain.types import Aggregate
    from videoalert_contract.inference import REGION_MODES

    parsers = subcommands()
    by_option = {o: a for a in parsers["rule"]._actions for o in a.option_strings}
    assert list(by_option["--regions"].choices) == list(REGION_MODES)
    assert list(by_option["--aggregate"].choices) == [a.value for a in Aggregate]
    list_options = {o: a for a in parsers["list"]._actions for o in a.option_strings}
    assert {"ALERT", "NO_ALERT"} <= set(list_options["--decision"].choices)
    assert {"DONE", "FAILED"} <= set(list_options["--status"].choices)


# --- bad arguments: exit 2, one line ------------------------------------------------------------------

BAD_ARGUMENTS = [
    ([], "videoalert", "required: COMMAND"),
    (["nosuch"], "videoalert", "invalid choice"),
    (["list"], "videoalert list", "--camera"),
    (["list", "--camera", "cam1", "--since", "2d3x"], "videoalert list", "cannot read '2d3x' as a time"),
    (["list", "--camera", "cam1", "--since", "tomorrowish"], "videoalert list", "yesterday"),
    (["list", "--camera", "cam1", "--limit", "-1"], "videoalert list", "below the minimum 0"),
    (["list", "--camera", "not a camera!"], "videoalert list", "is not a camera id"),
    (["list", "--camera", "cam1", "--decision", "MAYBE"], "videoalert list", "invalid choice: 'MAYBE'"),
    (["list", "--camera", "cam1", "--lim", "3"], "videoalert list", "unrecognized arguments"),
    (["list", "--camera", "cam1", "--local", "--profile", "home"], "videoalert list", "--profile has no meaning"),
    (["status"], "videoalert status", "video_id"),
    (["upload", "cam1"], "videoalert upload", "file"),
    (["upload", "cam1", "a.mp4", "--timeout", "0"], "videoalert upload", "more than 0"),
    (["push", "cam1", "x.mp4", "--fragment-seconds", "11"], "videoalert push", "above the maximum 10"),
    (["push", "cam1", "x.mp4", "--reencode", "sometimes"], "videoalert push", "invalid choice"),
    (["push", "cam1", "x.mp4", "--start", "soonish"], "videoalert push", "cannot read 'soonish'"),
    (["push", "cam1", "x.mp4", "--local", "--endpoint-url", "http://127.0.0.1:9"], "videoalert push", "exclude"),
    (["feedback", "cam1-1"], "videoalert feedback", "--false-positive"),
    (["feedback", "cam1-1", "--false-positive", "--true-positive"], "videoalert feedback", "not allowed with"),
    (["rule", "cam1", "--regions", "sideways"], "videoalert rule", "choose from 'full', 'motion', 'both'"),
    (["rule", "cam1", "--aggregate", "mean"], "videoalert rule", "choose from 'max', 'median_top_k'"),
    (["rule", "cam1", "--threshold", "1.5"], "videoalert rule", "less than 1"),
    (["rule", "cam1", "--min-frames", "two"], "videoalert rule", "not a whole number"),
    (["rule", "cam1", "--enable", "--disable"], "videoalert rule", "not allowed with"),
    (["tune", "cam1", "--since", "lastweek"], "videoalert tune", "cannot read 'lastweek'"),
    (["tune", "cam1", "--choose", "2"], "videoalert tune", "--choose needs --apply"),
    (["review", "--date", "2026-13-01"], "videoalert review", "is not a day"),
    (["review", "--band", "2"], "videoalert review", "above the maximum 1"),
    (["export-dataset"], "videoalert export-dataset", "out_dir"),
    (["export-dataset", "out", "--validation-percent", "150"], "videoalert export-dataset", "above the maximum 100"),
    (["serve", "--port", "70000"], "videoalert serve", "above the maximum 65535"),
    (["run-local", "--path", "sideways"], "videoalert run-local", "invalid choice"),
    (["run-local", "--camera", "-bad"], "videoalert run-local", "expected one argument"),
]


@pytest.mark.parametrize("argv,prog,says", BAD_ARGUMENTS, ids=[" ".join(a) or "(none)" for a, _, _ in BAD_ARGUMENTS])
def test_bad_arguments_exit_2_with_one_line(cli, argv, prog, says):
    result = cli(*argv)
    assert result.code == 2 and result.out == ""
    line = assert_one_line_error(result, prog)
    assert says in line and f"`{prog} --help`" in line


# --- a stopped emulator: exit 1, one line -------------------------------------------------------------

LOCAL_COMMANDS = [
    ["status", "cam1-1"], ["list", "--camera", "cam1"], ["upload", "cam1", "{file}"], ["push", "cam1", "{file}"],
    ["feedback", "cam1-1", "--false-positive"], ["rule", "cam1"], ["tune", "cam1"], ["review"],
    ["export-dataset", "{dir}"], ["redrive"],
]


def stale_record(path: Path) -> None:
    """The record a `run-local --serve` leaves when it is killed: its process and its port are gone."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"endpoint_url": f"http://127.0.0.1:{port}", "kvs_endpoint_url": None,
                                "resources": {"videos_table": "t"}, "pid": int(ended.stdout),
                                "started_at": "2026-12-03T10:00:00+00:00"}))


def _local_argv(argv: list[str], tmp_path: Path) -> list[str]:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not looked at")
    return [a.format(file=clip, dir=tmp_path / "out") for a in argv] + ["--local"]


@pytest.mark.parametrize("argv", LOCAL_COMMANDS, ids=[a[0] for a in LOCAL_COMMANDS])
def test_every_local_command_against_a_stopped_emulator_says_so_in_one_line(cli, argv, tmp_path,
                                                                             local_emulator_record):
    # Given the record of an emulator whose process has ended
    stale_record(local_emulator_record)
    # When a --local command runs, Then it fails (exit 1) with one line naming the stale record and what to do
    result = cli(*_local_argv(argv, tmp_path))
    assert result.code == 1 and result.out == ""
    line = assert_one_line_error(result, f"videoalert {argv[0]}")
    assert "is not running any more" in line and str(local_emulator_record) in line
    assert "videoalert run-local --serve" in line


@pytest.mark.parametrize("argv", LOCAL_COMMANDS, ids=[a[0] for a in LOCAL_COMMANDS])
def test_every_local_command_without_an_emulator_says_how_to_start_one(cli, argv, tmp_path):
    result = cli(*_local_argv(argv, tmp_path))
    assert result.code == 1
    assert "no local emulator is running" in assert_one_line_error(result, f"videoalert {argv[0]}")


def test_an_unreadable_record_is_reported_not_followed(cli, local_emulator_record):
    local_emulator_record.write_text("{half a record")
    result = cli("list", "--camera", "cam1", "--local")
    assert result.code == 1 and "is not a local emulator record" in assert_one_line_error(result, "videoalert list")


def test_the_record_is_per_user_not_per_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("VIDEOALERT_LOCAL_STATE")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    assert resources.local_state_path() == tmp_path / "state" / "videoalert" / "local-run.json"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert resources.local_state_path() == Path.home() / ".local" / "state" / "videoalert" / "local-run.json"


# --- real processes: any directory, no traceback, broken pipes -----------------------------------------


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONWARNINGS": "ignore", **extra}


def test_a_real_process_against_a_stopped_emulator_is_one_line(tmp_path, local_emulator_record):
    # Given a stale record and a user in some other directory
    stale_record(local_emulator_record)
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    # When they list with --local, as a real process
    done = subprocess.run([VIDEOALERT, "list", "--camera", "cam1", "--local"], cwd=elsewhere, capture_output=True,
                          text=True, env=_env(VIDEOALERT_LOCAL_STATE=str(local_emulator_record)), timeout=60)
    # Then the record was found from there, and its staleness is one line with exit 1
    assert done.returncode == 1 and done.stdout == ""
    assert_one_line_error(Result(done.returncode, done.stdout, done.stderr), "videoalert list")
    assert "is not running any more" in done.stderr


@pytest.fixture
def live_emulator(local_emulator_record):
    """A running emulator, as `run-local --serve` leaves it: moto's server with the stack's resources, recorded."""
    from fixtures.records import seed
    from videoalert.store.videos import VideoRecords
    from videoalert_local import emulator

    with emulator.moto_server() as endpoint:
        sess = emulator.session()
        res = emulator.create_resources(sess, endpoint_url=endpoint, cameras=("cam1",))
        table = sess.resource("dynamodb", endpoint_url=endpoint).Table(res.videos_table)
        for minute in range(40):
            seed(VideoRecords(table), {"video_id": f"cam1-{minute:03d}", "camera_id": "cam1", "status": "DONE",
                                       "decision": "NO_ALERT", "window_start": f"2026-11-23T10:{minute:02d}:00Z"})
        resources.write_local_state(endpoint, resources.local_resource_names(res.alert_topic_arn))
        yield endpoint


def test_local_works_from_any_directory(live_emulator, local_emulator_record, tmp_path):
    # Given a running emulator and a user in some other directory
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    # When they list a camera's videos with --local as a real process, Then the emulator is found from there
    done = subprocess.run([VIDEOALERT, "list", "--camera", "cam1", "--local", "--json", "--limit", "3"],
                          cwd=elsewhere, capture_output=True, text=True, timeout=120,
                          env=_env(VIDEOALERT_LOCAL_STATE=str(local_emulator_record)))
    assert done.returncode == 0, done.stderr
    assert [r["video_id"] for r in json.loads(done.stdout)] == ["cam1-039", "cam1-038", "cam1-037"]
    assert "more videos match" in done.stderr


def test_a_closed_output_pipe_ends_quietly_with_141(live_emulator, local_emulator_record):
    # Given stdout a pipe whose reader has gone (as `videoalert list ... | head` after head has exited)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        # When the command writes its rows to it
        done = subprocess.run([VIDEOALERT, "list", "--camera", "cam1", "--local", "--json"], stdout=write_end,
                              stderr=subprocess.PIPE, timeout=120,
                              env=_env(VIDEOALERT_LOCAL_STATE=str(local_emulator_record)))
    finally:
        os.close(write_end)
    # Then it ends with 141 and says nothing (no BrokenPipeError, no "Exception ignored")
    assert done.returncode == 141 and done.stderr == b""


def test_a_reader_that_stops_mid_json_is_not_a_traceback(aws, moto_target, capsys, monkeypatch):
    # Given a stored record, and stdout a reader that goes away (like `head -c 100`)
    from fixtures.records import seed
    from videoalert.store.videos import VideoRecords

    seed(VideoRecords(moto_target.table("videos_table")), {"video_id": "cam1-1", "camera_id": "cam1", "status": "DONE"})

    class GoneReader:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", GoneReader())
    # When status --json prints it, Then the command ends with 141 and writes no error
    assert main(["status", "cam1-1", "--json"]) == 141
    assert capsys.readouterr().err == ""


# --- failures at run time: exit 1, one line; --debug -------------------------------------------------


def test_an_unexpected_failure_is_one_line_and_debug_adds_the_traceback(cli, monkeypatch):
    from videoalert_cli.commands import status

    def boom(args):
        raise RuntimeError("the disk is full\nsecond line")

    monkeypatch.setattr(status, "run", boom)
    plain = cli("status", "cam1-1")
    assert plain.code == 1
    line = assert_one_line_error(plain, "videoalert status")
    assert line.endswith("RuntimeError: the disk is full second line (run with --debug for the traceback)")
    debug = cli("status", "cam1-1", "--debug")
    assert debug.code == 1 and "Traceback (most recent call last)" in debug.err
    assert debug.err.strip().splitlines()[-1] == "videoalert status: error: RuntimeError: the disk is full second line"
    assert cli("--debug", "status", "cam1-1").err.count("Traceback") == 1  # --debug before the command too


def test_aws_refusals_are_named_plainly(cli, monkeypatch):
    from botocore.exceptions import ClientError

    from videoalert_cli.commands import status

    def refused(args):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "GetItem")

    monkeypatch.setattr(status, "run", refused)
    result = cli("status", "cam1-1")
    assert result.code == 1
    assert assert_one_line_error(result, "videoalert status").startswith(
        "videoalert status: error: AWS refused GetItem: AccessDeniedException: not allowed")


def test_ctrl_c_exits_130(cli, monkeypatch):
    from videoalert_cli.commands import list_videos

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(list_videos, "run", interrupted)
    result = cli("list", "--camera", "cam1")
    assert result.code == 130 and result.err.strip() == "videoalert list: error: interrupted"


def test_serve_without_its_web_stack_says_what_installs_it(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as after `make run`, which installs the runtime set only
    result = cli("serve")
    assert result.code == 1 and "make setup" in assert_one_line_error(result, "videoalert serve")


# --- --profile and --region, as the AWS CLI takes them ------------------------------------------------


@pytest.fixture
def aws_config(tmp_path, monkeypatch):
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("[default]\nregion = us-east-1\n[profile home]\nregion = eu-west-1\n")
    credentials.write_text("[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s\n"
                           "[home]\naws_access_key_id = AKIDHOME\naws_secret_access_key = s\n")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                 "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))


def _parsed(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_profile_and_region_choose_the_session_before_or_after_the_command(aws_config):
    before = resources.aws_session(_parsed("--profile", "home", "list", "--camera", "cam1"))
    after = resources.aws_session(_parsed("list", "--camera", "cam1", "--profile", "home", "--region", "eu-west-2"))
    default = resources.aws_session(_parsed("list", "--camera", "cam1"))
    assert (before.get_credentials().access_key, before.region_name) == ("AKIDHOME", "eu-west-1")
    assert (after.get_credentials().access_key, after.region_name) == ("AKIDHOME", "eu-west-2")
    assert (default.get_credentials().access_key, default.region_name) == ("AKIDDEFAULT", "us-east-1")


def test_aws_region_alone_chooses_the_region_as_the_help_says(aws_config, monkeypatch):
    # Given only AWS_REGION set (as the AWS CLI v2 and the other SDKs read it; boto3 alone does not)
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    # When a command resolves its session, Then AWS_REGION is the region, over the profile's, and --region over both
    assert resources.aws_session(_parsed("list", "--camera", "cam1")).region_name == "eu-west-3"
    assert resources.aws_session(_parsed("list", "--camera", "cam1", "--region", "eu-west-2")).region_name == \
        "eu-west-2"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    assert resources.aws_session(_parsed("list", "--camera", "cam1")).region_name == "eu-west-3"


def test_an_unknown_profile_is_one_line(cli, aws_config):
    result = cli("list", "--camera", "cam1", "--profile", "nosuch")
    assert result.code == 1
    assert "AWS profile 'nosuch' is not in your AWS configuration" in assert_one_line_error(result, "videoalert list")


def test_a_missing_stack_is_one_line_naming_it_and_the_region(cli, aws_config, monkeypatch):
    from moto import mock_aws

    monkeypatch.setenv("VIDEOALERT_STACK", "videoalert-nowhere")
    with mock_aws():
        result = cli("list", "--camera", "cam1", "--region", "eu-west-1")
    assert result.code == 1
    line = assert_one_line_error(result, "videoalert list")
    assert "stack 'videoalert-nowhere' does not exist in eu-west-1" in line
