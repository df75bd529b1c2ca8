"""A camera as the dispatcher sees it: its rule, whether it is enabled, and the cursor of the next window."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from videoalert.domain.rule import Rule


@dataclass(frozen=True)
class CameraConfig:
    camera_id: str
    rule: Rule = field(default_factory=Rule)
    enabled: bool = True
    cursor: datetime | None = None
    item: Mapping[str, Any] = field(default_factory=dict)  # the raw item, for settings later features add
