"""Rotate the link-signing key: Secrets Manager calls the rotation function once per step."""
from __future__ import annotations

import logging
from typing import Protocol

logger = logging.getLogger(__name__)
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


class Rotation(Protocol):
    """aws.secrets.SecretRotation."""

    def check(self, secret_id: str, token: str) -> bool: ...
    def create(self, secret_id: str, token: str) -> None: ...
    def test(self, secret_id: str, token: str) -> None: ...
    def finish(self, secret_id: str, token: str) -> None: ...


def rotate(step: str, secret_id: str, token: str, rotation: Rotation) -> None:
    """One step. setSecret has nothing to do: the key is used by this stack's functions only, which read it."""
    if step not in STEPS:
        raise ValueError(f"unknown rotation step {step!r}")
    if not rotation.check(secret_id, token):
        logger.info("rotation step %s: version already current, nothing to do", step)
        return
    if step == "createSecret":
        rotation.create(secret_id, token)
    elif step == "testSecret":
        rotation.test(secret_id, token)
    elif step == "finishSecret":
        rotation.finish(secret_id, token)
    logger.info("rotation step %s done", step)  # never the key
