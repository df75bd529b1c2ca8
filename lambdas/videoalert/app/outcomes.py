"""What each step of a clip's lifecycle answers: a recorded status, or a skip that wrote nothing new."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from videoalert.domain.types import TERMINAL_STATUSES, Decision, Status


class Skip(StrEnum):
    """Outcomes that write no new record."""

    IDLE = "IDLE"  # no media in the window: a logged skip, no record
    DUPLICATE = "DUPLICATE"  # the event was seen before: nothing changed
    IN_PROGRESS = "IN_PROGRESS"  # another run holds the clip (its lease has not expired): not settled yet
    SKIPPED = "SKIPPED"  # the uploaded object is gone
    BUSY = "BUSY"  # another worker holds the camera's lease: its job, or the next tick's, takes these windows


@dataclass
class ClipOutcome:
    video_id: str | None
    camera_id: str | None
    status: Status | Skip
    decision: Decision | None = None
    reason: str = ""
    alert_message_id: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def settled(self) -> bool:
        """True when the window may be left behind: recorded for good (DONE, REJECTED, or FAILED for a redrive), or
        idle. A clip another run still holds is not settled: the cursor waits for it (recovery finishes it if that
        run died)."""
        return self.status in TERMINAL_STATUSES | {Status.FAILED, Skip.IDLE, Skip.DUPLICATE}


def describe(outcome: ClipOutcome) -> dict[str, Any]:
    """The outcome as the handler logs and returns it (plain JSON values)."""
    return {
        k: str(v) if isinstance(v, StrEnum) else v
        for k, v in outcome.__dict__.items()
        if k != "metrics" and v not in (None, "")
    }
