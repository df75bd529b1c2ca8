"""List events across cameras, newest first: read each camera's decided minutes (by the camera index, newest
first), group them into events (domain.events), filter and page."""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import timedelta

from videoalert.app.ports import Videos
from videoalert.domain.events import Event, EventFilter, EventPage, group_events, page_of
from videoalert.domain.records import VideoRecord

# The most minutes read per camera for one list: a bound on one page's work (about a day of a busy camera). A list
# that needs older events narrows by date (--since/--until, the page's date).
MAX_MINUTES_PER_CAMERA = 2000
# An event can start this long before the first minute a date filter reads (the rule's max_event_s is 30 min by
# default): read that much earlier so an event that began before `since` is whole.
EVENT_REACH = timedelta(hours=1)


def list_events(records: Videos, camera_ids: Sequence[str], keep: EventFilter, *, page: int = 0,
                size: int = 20, max_minutes: int = MAX_MINUTES_PER_CAMERA) -> EventPage:
    """One page of the cameras' events that pass the filter, newest first."""
    minutes: list[VideoRecord] = []
    since = keep.since - EVENT_REACH if keep.since else None
    until = keep.until + EVENT_REACH if keep.until else None
    for camera_id in camera_ids:
        minutes.extend(itertools.islice(records.by_camera(camera_id, since=since, until=until), max_minutes))
    return page_of(group_events(minutes), keep, page=page, size=size)


def find_event(records: Videos, video_id: str) -> Event | None:
    """The event a minute belongs to (by any of its minutes' video ids), with every minute the store holds."""
    record = records.get(video_id)
    if record is None:
        return None
    head_id = record.cooldown_of or record.video_id
    around = records.by_camera(record.camera_id, since=(record.event_start or record.window_start) - EVENT_REACH,
                               until=record.window_end + EVENT_REACH * 2, newest_first=False)
    for event in group_events(itertools.islice(around, MAX_MINUTES_PER_CAMERA)):
        if event.event_id == head_id:
            return event
    return None
