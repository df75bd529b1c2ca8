"""`videoalert events [--camera C] [--decision D] [--label L] [--since T] [--until T] [--page N]`: events across
cameras, newest first. An event is the minutes of one alert (its ALERT and the COOLDOWN minutes that continue it);
any other decided minute is an event of its own."""
from __future__ import annotations

import argparse
from typing import Any

from ..options import add_json, camera_id, integer, time_point


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from videoalert.domain.events import UNLABELLED
    from videoalert.domain.types import Decision, Label

    from ..resources import add_target_arguments
    from ..times import ACCEPTED

    parser = sub.add_parser("events", parents=parents, help="list events across cameras, newest first",
                            description=__doc__)
    parser.add_argument("--camera", action="append", type=camera_id, metavar="C",
                        help="only this camera (repeatable; default every camera)")
    parser.add_argument("--decision", action="append", metavar="D",
                        choices=[d.value for d in Decision if d != Decision.COOLDOWN],
                        help="only events with this decision (repeatable): ALERT (an alert and its cooldown "
                             "minutes), SUPPRESSED, NO_ALERT")
    parser.add_argument("--label", choices=[*(label.value for label in Label), UNLABELLED],
                        help="only events labelled so (or not labelled yet)")
    parser.add_argument("--since", type=time_point, metavar="TIME", help=f"only events from then on: {ACCEPTED}")
    parser.add_argument("--until", type=time_point, metavar="TIME", help="only events that began before then")
    parser.add_argument("--page", type=integer(low=1), default=1, metavar="N", help="page N (default 1, the newest)")
    parser.add_argument("--limit", type=integer(low=1, high=500), default=20, metavar="N",
                        help="events per page (default 20)")
    add_json(parser, "the events")
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from videoalert.app.events import list_events
    from videoalert.domain.events import EventFilter
    from videoalert.domain.types import Decision
    from videoalert.store.cameras import CameraStore
    from videoalert.store.videos import VideoRecords

    from ..formatting import event_row, table
    from ..output import note, print_json
    from ..resources import resolve

    target = resolve(args)
    cameras = args.camera or CameraStore(target.table("cameras_table")).camera_ids()  # the registry: every camera
    keep = EventFilter(decisions=frozenset(Decision(d) for d in args.decision) if args.decision else None,
                       label=args.label, since=args.since, until=args.until)
    page = list_events(VideoRecords(target.table("videos_table")), cameras, keep, page=args.page - 1,
                       size=args.limit)
    rows = [event_row(e) for e in page.events]
    if args.json:
        print_json(rows)
    elif rows:
        headers = ["start", "camera", "decision", "minutes", "score", "label", "first_seen", "event", "best_video"]
        print(table(headers, [[r[h] for h in headers] for r in rows]))
    if page.more:
        note(f"more events: --page {args.page + 1}")
    elif not rows:
        note("no events match" + (f" on page {args.page}" if args.page > 1 else ""))
    return 0
