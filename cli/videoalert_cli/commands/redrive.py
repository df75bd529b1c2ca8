"""`videoalert redrive [VIDEO_ID ...]`: score FAILED clips again, and clips a dead run left open (an expired lease,
never claimed, an alert not sent); all of them when no ID is given."""
from __future__ import annotations

import json


def register(sub) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser("redrive", help="re-process FAILED clips and clips a dead run left open (all, or the "
                                            "given video IDs)")
    parser.add_argument("video_ids", nargs="*")
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def redrive_event(video_ids: list[str]) -> dict:
    return {"action": "redrive", "video_ids": list(video_ids)}


def run(args) -> int:
    from ..errors import UserError
    from ..resources import resolve

    target = resolve(args)
    event = redrive_event(args.video_ids)
    if args.local:
        # The running `run-local --serve` hands every event on this queue to the dispatcher handler.
        sqs = target.client("sqs")
        url = sqs.get_queue_url(QueueName="videoalert-upload-events")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
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
    for outcome in outcomes:
        print(
            f"{outcome.get('video_id')}: {outcome.get('status')} {outcome.get('decision', '')} "
            f"{outcome.get('reason', '')}"
        )
    print(f"{len(outcomes)} clip(s) redriven")
    return 0
