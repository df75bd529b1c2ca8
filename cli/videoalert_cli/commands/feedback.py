"""`videoalert feedback VIDEO_ID --false-positive | --true-positive [--tag dog]`: label a video, teach its camera."""
from __future__ import annotations

import argparse
from datetime import UTC
from typing import Any

from ..options import add_json


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser("feedback", parents=parents,
                            help="mark a video as a false or true positive (updates the camera's memory)",
                            description=__doc__)
    parser.add_argument("video_id", help="the video's id (from the alert, or `videoalert list`)")
    label = parser.add_mutually_exclusive_group(required=True)
    label.add_argument("--false-positive", dest="label", action="store_const", const="false_positive",
                       help="no person in this video: similar detections on this camera will be suppressed")
    label.add_argument("--true-positive", dest="label", action="store_const", const="true_positive",
                       help="a person really is there: forget remembered false positives this video matches")
    parser.add_argument("--tag", action="append", default=[], help="what it was (dog, statue, shadow); repeatable")
    add_json(parser, "the answer")
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..output import print_json
    from ..resources import resolve

    body = {"video_id": args.video_id, "label": args.label, "tags": args.tag}
    target = resolve(args)
    answer = _local(target, body) if args.local else _remote(target, body)
    if args.json:
        print_json(answer)
    else:
        print(describe(answer))
    return 0


def describe(answer: dict[str, Any]) -> str:
    if not answer.get("changed"):
        return f"{answer['video_id']}: already labelled {answer['label']}; nothing changed"
    memory = []
    if answer.get("memory_added") and answer.get("label") == "true_positive":  # kept as counter-examples
        memory.append(f"{answer['memory_added']} frame(s) kept in {answer['camera_id']}'s memory as a confirmed "
                      "person (a detection near them is not suppressed)")
    elif answer.get("memory_added"):
        memory.append(f"{answer['memory_added']} frame(s) added to {answer['camera_id']}'s false-positive memory")
    if answer.get("memory_removed"):
        memory.append(f"{answer['memory_removed']} remembered frame(s) removed")
    text = f"{answer['video_id']}: labelled {answer['label']} by {answer['labelled_by']} at {answer['labelled_at']}"
    return "; ".join([text, *memory, *([answer["note"]] if answer.get("note") else [])])


def _remote(target: Any, body: dict[str, Any]) -> dict[str, Any]:
    from ..errors import UserError
    from ..feedback_client import post_feedback

    url = target.resources.get("feedback_url")
    if not url:
        raise UserError("the stack has no feedback URL output (FeedbackUrl)")
    return post_feedback(url, body, credentials=target.session.get_credentials(),
                         region=target.session.region_name or "us-east-1")


def _local(target: Any, body: dict[str, Any]) -> dict[str, Any]:
    """The emulator has no function URLs: run the same feedback logic against its tables."""
    import getpass
    from datetime import datetime

    from videoalert.app.feedback import BadFeedback, FeedbackRequest, NotLabellable, VideoNotFound, apply_feedback
    from videoalert.store.cameras import CameraStore
    from videoalert.store.memory import FpMemory
    from videoalert.store.videos import VideoRecords
    from videoalert_contract import names

    from ..errors import UserError

    memory_table = target.resources.get("fp_memory_table") or names.local_names()["fp_memory_table"]
    try:
        result = apply_feedback(
            FeedbackRequest.parse(body),
            records=VideoRecords(target.table("videos_table")),
            cameras=CameraStore(target.table("cameras_table")),
            memory=FpMemory(target.session.resource("dynamodb", endpoint_url=target.endpoint_url).Table(memory_table)),
            who=f"local:{getpass.getuser()}", now=datetime.now(UTC))
    except (BadFeedback, VideoNotFound, NotLabellable) as exc:
        raise UserError(str(exc)) from exc
    return result.to_dict()
