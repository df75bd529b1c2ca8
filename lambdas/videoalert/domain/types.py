"""The named values a record, a rule and a label take: statuses, decisions, labels, sources, aggregates."""
from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a video record is: RECEIVED -> PROCESSING -> DONE | REJECTED | FAILED (FAILED may be redriven); a stream
    minute scored segment by segment (app.segments) is OPEN until the minute settles, then PROCESSING -> DONE."""

    OPEN = "OPEN"  # a stream minute being scored as its fragments arrive: may carry an early ALERT already
    RECEIVED = "RECEIVED"
    PROCESSING = "PROCESSING"
    DONE = "DONE"
    REJECTED = "REJECTED"  # bad input: recorded with a reason, never retried
    FAILED = "FAILED"  # inference error or timeout: `videoalert redrive` processes it again


TERMINAL_STATUSES = frozenset({Status.DONE, Status.REJECTED})


class Decision(StrEnum):
    """What a DONE record decided."""

    ALERT = "ALERT"
    NO_ALERT = "NO_ALERT"
    SUPPRESSED = "SUPPRESSED"  # the rule said ALERT, but the detection matched the camera's false-positive memory
    COOLDOWN = "COOLDOWN"  # the rule said ALERT, but it continues an event that was alerted already


POSITIVE_DECISIONS = frozenset({Decision.ALERT, Decision.COOLDOWN})  # "someone is there": these extend an event


class Label(StrEnum):
    """A user's verdict on a decided video; also the kind of a false-positive memory entry."""

    FALSE_POSITIVE = "false_positive"  # not a person: remembered, later look-alikes are suppressed
    TRUE_POSITIVE = "true_positive"  # a person: kept as a counter-example, never suppressed


class Source(StrEnum):
    """Where a clip came from: a minute of a camera's stream, or an uploaded file."""

    STREAM = "stream"
    UPLOAD = "upload"


class Aggregate(StrEnum):
    """How a rule combines a region's scores before comparing with the threshold."""

    MAX = "max"
    MEDIAN_TOP_K = "median_top_k"
