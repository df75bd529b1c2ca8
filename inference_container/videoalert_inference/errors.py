"""Bad-input errors of the inference function: the contract's codes and exception (videoalert_contract.errors)."""
from __future__ import annotations

from videoalert_contract.errors import (
                                        BAD_REQUEST,
                                        CORRUPT_VIDEO,
                                        EMPTY_VIDEO,
                                        NO_FRAMES,
                                        NO_VIDEO_TRACK,
                                        NOT_FOUND,
                                        OVER_LIMIT,
                                        TOO_LARGE,
                                        BadInputError,
)

__all__ = ["BAD_REQUEST", "CORRUPT_VIDEO", "EMPTY_VIDEO", "NOT_FOUND", "NO_FRAMES", "NO_VIDEO_TRACK", "OVER_LIMIT",
           "TOO_LARGE", "BadInputError"]
