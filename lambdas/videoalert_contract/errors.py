"""The inference function's bad-input codes: an answer {"ok": false, "error": {"code", "message"}} carries one."""
from __future__ import annotations

EMPTY_VIDEO = "EMPTY_VIDEO"
CORRUPT_VIDEO = "CORRUPT_VIDEO"
NO_VIDEO_TRACK = "NO_VIDEO_TRACK"
TOO_LARGE = "TOO_LARGE"
NO_FRAMES = "NO_FRAMES"
BAD_REQUEST = "BAD_REQUEST"
NOT_FOUND = "NOT_FOUND"
OVER_LIMIT = "OVER_LIMIT"  # scoring it would pass a work limit (frames decoded, decode time, entries scored)
ERROR_CODES = (EMPTY_VIDEO, CORRUPT_VIDEO, NO_VIDEO_TRACK, TOO_LARGE, NO_FRAMES, BAD_REQUEST, NOT_FOUND, OVER_LIMIT)


class BadInputError(Exception):
    """The request or the video cannot be scored; retrying would give the same answer, so it is not raised to Lambda."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
