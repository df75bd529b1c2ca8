"""Find the deployed resources (CloudFormation outputs) or the local emulator's, for the CLI commands."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import boto3

from videoalert_contract import names

from .errors import UserError

DEFAULT_STACK = os.environ.get("VIDEOALERT_STACK", "videoalert-dev")
LOCAL_STATE = Path(os.environ.get("VIDEOALERT_LOCAL_STATE", ".local-run/endpoint.json"))

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
}


@dataclass(frozen=True)
class Target:
    session: boto3.session.Session
    endpoint_url: str | None
    resources: dict[str, str]

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.endpoint_url)

    def table(self, which: str):
        return self.session.resource("dynamodb", endpoint_url=self.endpoint_url).Table(self.resources[which])


def add_target_arguments(parser) -> None:
    group = parser.add_argument_group("where")
    group.add_argument("--local", action="store_true",
                       help="use the emulator of a running `videoalert run-local --serve`")
    group.add_argument("--stack", default=DEFAULT_STACK, help=f"deployed stack name (default {DEFAULT_STACK})")
    group.add_argument("--region", default=None, help="AWS region (default: your AWS configuration)")


def write_local_state(endpoint_url: str, resources: dict[str, str]) -> None:
    LOCAL_STATE.parent.mkdir(parents=True, exist_ok=True)
    LOCAL_STATE.write_text(json.dumps({"endpoint_url": endpoint_url, "resources": resources}, indent=2))


def clear_local_state() -> None:
    LOCAL_STATE.unlink(missing_ok=True)


def resolve(args) -> Target:
    if getattr(args, "local", False):
        from .local_env import session as local_session

        if not LOCAL_STATE.exists():
            raise UserError("no local emulator is running: start `videoalert run-local --serve` in another terminal")
        state = json.loads(LOCAL_STATE.read_text())
        return Target(local_session(), state["endpoint_url"], state["resources"])
    session = boto3.session.Session(region_name=args.region)
    if session.get_credentials() is None:
        raise UserError("no AWS credentials found (configure the AWS CLI, or use --local)")
    try:
        stack = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]
    except Exception as exc:
        raise UserError(f"cannot read stack {args.stack!r}: {exc}") from exc
    outputs = {o["OutputKey"].lower(): o["OutputValue"] for o in stack.get("Outputs", [])}
    resources = {}
    for name, hints in OUTPUT_HINTS.items():
        for key, value in outputs.items():
            if any(h in key for h in hints):
                resources[name] = value
                break
    missing = {"videos_table", "cameras_table", "video_bucket"} - set(resources)
    if missing:
        raise UserError(f"stack {args.stack!r} has no outputs for {sorted(missing)}")
    return Target(session, None, resources)


def local_resource_names(alert_topic_arn: str, cameras: tuple[str, ...]) -> dict[str, str]:
    n = names.local_names()
    return {"videos_table": n["videos_table"], "cameras_table": n["cameras_table"],
            "video_bucket": n["video_bucket"], "review_bucket": n["review_bucket"],
            "fp_memory_table": n["fp_memory_table"],
            "alert_topic_arn": alert_topic_arn, "cameras": ",".join(cameras)}
