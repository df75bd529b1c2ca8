"""Where a command works: the deployed stack (CloudFormation outputs) or a running `run-local --serve`.

The local emulator records itself in one file per user (not per directory), so `--local` works from any
directory; a record whose process has ended is reported as stale, not followed into a connection error.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import UsageError, UserError

DEFAULT_STACK = "videoalert-dev"
# What the local emulator (`run-local --serve`) and the commands run with --local sign with: dummy credentials, never
# real ones (its KVS stand-in checks the signatures against these).
LOCAL_REGION = "us-east-1"
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                     "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": LOCAL_REGION}

# Output keys are matched loosely so a renamed construct id still resolves; the first match wins.
OUTPUT_HINTS = {
    "videos_table": ("videostable",),
    "cameras_table": ("camerastable",),
    "video_bucket": ("videobucket",),
    "alert_topic_arn": ("alerttopic",),
    "feedback_url": ("feedbackurl", "feedbackfunctionurl"),
    "review_bucket": ("reviewbucket",),
    "fp_memory_table": ("fpmemorytable",),
    "dispatcher_function": ("dispatcherfunction",),
    "stream_key_arn": ("streamkeyarn",),
    "stage": ("stagename",),
    "push_table": ("pushsubscriptionstable",),
    "vapid_secret": ("vapidsecret",),
}


def default_stack() -> str:
    return os.environ.get("VIDEOALERT_STACK") or DEFAULT_STACK


def local_state_path() -> Path:
    """$VIDEOALERT_LOCAL_STATE, else $XDG_STATE_HOME/videoalert/local-run.json (~/.local/state by default)."""
    explicit = os.environ.get("VIDEOALERT_LOCAL_STATE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "videoalert" / "local-run.json"


@dataclass(frozen=True)
class Target:
    session: Any  # boto3.session.Session
    endpoint_url: str | None
    resources: dict[str, str]
    kvs_endpoint_url: str | None = None  # the local KVS stand-in (None: the region's Kinesis Video Streams)
    local: bool = False
    stack: str | None = None

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint_url)

    def table(self, which: str) -> Any:
        return self.session.resource("dynamodb", endpoint_url=self.endpoint_url).Table(self.resources[which])

    def unknown_camera(self, camera: str, consequence: str = "") -> UserError:
        """The error for a camera the registry does not hold (there may be thousands: they are not listed here)."""
        local = " --local" if self.local else ""
        return UserError(f"unknown camera {camera!r} on {self.where}: it is not registered (`videoalert camera list"
                         f"{local}` lists the cameras, `videoalert camera add {camera}{local}` registers it)"
                         + (f"; {consequence}" if consequence else ""))

    @property
    def where(self) -> str:
        return "the local emulator" if self.local else (f"stack {self.stack}" if self.stack else "the stack")


def add_target_arguments(parser: argparse.ArgumentParser, *, stack: bool = True) -> None:
    """--local, --stack, --profile, --region. --profile and --region are also accepted before the command."""
    group = parser.add_argument_group("where")
    group.add_argument("--local", action="store_true",
                       help="use the emulator of a running `videoalert run-local --serve` (recorded in "
                            "$VIDEOALERT_LOCAL_STATE, default ~/.local/state/videoalert/local-run.json)")
    if stack:
        group.add_argument("--stack", default=None, metavar="NAME",
                           help=f"deployed stack (default: $VIDEOALERT_STACK, else {DEFAULT_STACK})")
    add_aws_arguments(group)


def add_aws_arguments(group: Any, *, suppress: bool = True) -> None:
    default = argparse.SUPPRESS if suppress else None
    group.add_argument("--profile", default=default, metavar="NAME",
                       help="AWS profile from your AWS configuration (default: $AWS_PROFILE, else the default)")
    group.add_argument("--region", default=default, metavar="REGION",
                       help="AWS region (default: $AWS_REGION / $AWS_DEFAULT_REGION, else the profile's)")


# --- the local emulator's record ----------------------------------------------------------------------


@dataclass(frozen=True)
class LocalState:
    endpoint_url: str
    resources: dict[str, str]
    kvs_endpoint_url: str | None = None
    pid: int | None = None
    started_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def write_local_state(endpoint_url: str, resources: dict[str, str], *, kvs_endpoint_url: str | None = None) -> Path:
    path = local_state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"endpoint_url": endpoint_url, "kvs_endpoint_url": kvs_endpoint_url, "resources": resources,
              "pid": os.getpid(), "started_at": datetime.now(UTC).isoformat(timespec="seconds")}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=2))
    temporary.replace(path)
    return path


def clear_local_state() -> None:
    """Remove the record if it is this process's (a newer emulator's record is left alone)."""
    path = local_state_path()
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def _process_alive(pid: int | None) -> bool:
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def _answers(url: str, timeout_s: float = 1.0) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=timeout_s):
            return True
    except OSError:
        return False


def running_local_state() -> LocalState | None:
    """The record of a live emulator, or None when there is none or it is stale."""
    try:
        state = read_local_state()
    except UserError:
        return None
    return state


def read_local_state() -> LocalState:
    """The running emulator's record; a clear UserError when there is none, it is unreadable, or stale."""
    path = local_state_path()
    start = "start `videoalert run-local --serve` in another terminal"
    if not path.exists():
        raise UserError(f"no local emulator is running (no record at {path}): {start}")
    try:
        record = json.loads(path.read_text())
        state = LocalState(endpoint_url=str(record["endpoint_url"]), resources=dict(record["resources"]),
                           kvs_endpoint_url=record.get("kvs_endpoint_url"), pid=record.get("pid"),
                           started_at=record.get("started_at"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{path} is not a local emulator record ({type(exc).__name__}: {exc}): {start}") from exc
    if not _process_alive(state.pid) or not _answers(state.endpoint_url):
        raise UserError(f"the local emulator recorded in {path} (pid {state.pid}, started {state.started_at}) "
                        f"is not running any more: {start} again")
    return state


def local_session() -> Any:
    """A boto3 session with the local emulator's credentials."""
    import boto3

    return boto3.session.Session(aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                                 aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                                 aws_session_token=LOCAL_CREDENTIALS["AWS_SESSION_TOKEN"], region_name=LOCAL_REGION)


# --- resolving a command's target ---------------------------------------------------------------------


def aws_session(args: argparse.Namespace) -> Any:
    """A boto3 session for --profile/--region (or the environment's); clear errors for what is missing."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    # boto3 reads AWS_DEFAULT_REGION and the profile, not AWS_REGION, which the AWS CLI v2 and the other SDKs read
    # first: it is honoured here, after --region.
    region = getattr(args, "region", None) or os.environ.get("AWS_REGION") or None
    try:
        session = boto3.session.Session(profile_name=getattr(args, "profile", None), region_name=region)
    except ProfileNotFound as exc:
        raise UserError(f"AWS profile {exc.kwargs.get('profile')!r} is not in your AWS configuration "
                        "(~/.aws/config; `aws configure --profile NAME` adds one)") from exc
    if session.get_credentials() is None:
        raise UserError("no AWS credentials found: run `aws configure`, set AWS_PROFILE or pass --profile "
                        "(or use --local with a running `videoalert run-local --serve`)")
    if session.region_name is None:
        raise UserError("no AWS region: pass --region or set AWS_REGION (or give your profile one)")
    return session


def resolve(args: argparse.Namespace) -> Target:
    if getattr(args, "local", False):
        if getattr(args, "profile", None):
            raise UsageError("--profile has no meaning with --local (the emulator takes its own credentials)")
        state = read_local_state()
        return Target(local_session(), state.endpoint_url, state.resources, kvs_endpoint_url=state.kvs_endpoint_url,
                      local=True, stack=None)
    session = aws_session(args)
    stack_name = getattr(args, "stack", None) or default_stack()
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        stack = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if "does not exist" in str(error.get("Message", "")):
            raise UserError(f"stack {stack_name!r} does not exist in {session.region_name} "
                            "(--stack, $VIDEOALERT_STACK, --region)") from exc
        raise UserError(f"cannot read stack {stack_name!r}: {error.get('Code')}: {error.get('Message')}") from exc
    except BotoCoreError as exc:
        raise UserError(f"cannot read stack {stack_name!r}: {exc}") from exc
    outputs = {o["OutputKey"].lower(): o["OutputValue"] for o in stack.get("Outputs", [])}
    resources = {}
    for name, hints in OUTPUT_HINTS.items():
        for key, value in outputs.items():
            if any(h in key for h in hints):
                resources[name] = value
                break
    missing = {"videos_table", "cameras_table", "video_bucket"} - set(resources)
    if missing:
        raise UserError(f"stack {stack_name!r} has no outputs for {sorted(missing)}")
    return Target(session, None, resources, stack=stack_name)


def local_resource_names(alert_topic_arn: str) -> dict[str, str]:
    from videoalert_contract import names

    n = names.local_names()
    return {"videos_table": n["videos_table"], "cameras_table": n["cameras_table"],
            "video_bucket": n["video_bucket"], "review_bucket": n["review_bucket"],
            "fp_memory_table": n["fp_memory_table"], "push_table": n["push_table"], "vapid_secret": n["vapid_secret"],
            "alert_topic_arn": alert_topic_arn, "stage": "local"}
