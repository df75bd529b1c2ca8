"""Failures the adapters report in the domain's terms, so a use case can handle them without importing an adapter."""
from __future__ import annotations


class UnknownCamera(LookupError):
    """No such camera in the table (and none known at deploy time)."""


class RuleConflict(Exception):
    """The rule changed since it was read: the edit was not applied."""


class UnknownStream(Exception):
    """The camera's Kinesis video stream does not exist (never created, or deleted)."""


class MediaUnreadable(Exception):
    """Kinesis Video Streams cannot build an MP4 from the window's media (codec or frame errors)."""


class InferenceFailed(Exception):
    """The inference function raised, timed out or answered with something that is not a result."""


class LeaseLost(Exception):
    """The record is no longer held by this run (its lease expired and another run took it over): this run's
    result is not written; the other run's stands."""
