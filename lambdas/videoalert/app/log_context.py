"""Every log line written while a clip is handled carries its video_id and camera_id."""
from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator, Mapping
from types import MappingProxyType

_clip: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("videoalert_clip",
                                                                          default=MappingProxyType({}))


@contextlib.contextmanager
def clip_context(*, video_id: str | None = None, camera_id: str | None = None) -> Iterator[None]:
    keys = {k: v for k, v in (("video_id", video_id), ("camera_id", camera_id)) if v}
    token = _clip.set({**_clip.get(), **keys})
    try:
        yield
    finally:
        _clip.reset(token)


class ClipContextFilter(logging.Filter):
    """Copies the current clip's keys onto each record; JSON formatters then print them as fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _clip.get().items():
            setattr(record, key, value)
        return True
