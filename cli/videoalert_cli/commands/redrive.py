"""`videoalert redrive [VIDEO_ID ...]`: score FAILED clips again, and clips a dead run left open (an expired lease,
never claimed, an alert not sent); all of them when no ID is given."""
from __future__ import annotations

import argparse
import json
from typing import Any

from ..options import add_json


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser("redrive", parents=parents,
                            help="re-process FAILED clips and clips a dead run left open (all, or the given video IDs)",
                            description=__doc__ + "\n\nExit status 1 if a clip is FAILED after the redrive.")
    parser.add_argument("video_ids", nargs="*", metavar="VIDEO_ID",
                        help="the videos to redrive: FAILED, or left open by a dead run (default: all of them, and "
                             "every camera's overdue open records)")
    add_json(parser, "the outcomes")
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def redrive_event(video_ids: list[str]) -> dict[str, Any]:
    return {"action": "redrive", "video_ids": list(video_ids)}


def run(args: argparse.Namespace) -> int:
    from ..errors import UserError
    from ..output import print_json
    from ..resources import resolve

    target = resolve(args)
    event = redrive_event(args.video_ids)
    if args.local:
        # The running `run-local --serve` hands every event on this queue to the dispatcher handler.
        sqs = target.client("sqs")
        url = sqs.get_queue_url(QueueName="videoalert-upload-events")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
        if args.json:
            print_json({"sent": True, "event": event})
        else:
            print("redrive sent to the local dispatcher; see the run-local terminal")
        return 0
    function = target.resources.get("dispatcher_function")
    if not function:
        raise UserError("the stack has no dispatcher function output")
    response = target.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event).encode())
    answer = json.loads(response["Payload"].read() or b"{}")
    if response.get("FunctionError"):
        raise UserError(f"the dispatcher failed: {answer}")
    outcomes = answer.get("outcomes", [])
    if args.json:
        print_json(outcomes)
    else:
        for outcome in outcomes:
            print(f"{outcome.get('video_id')}: {outcome.get('status')} {outcome.get('decision', '')} "
                  f"{outcome.get('reason', '')}")
        print(f"{len(outcomes)} clip(s) redriven")
    if any(o.get("status") == "FAILED" for o in outcomes):
        raise UserError(f"{sum(o.get('status') == 'FAILED' for o in outcomes)} clip(s) failed again")
    return 0
