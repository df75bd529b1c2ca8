"""The link-signing key in Secrets Manager: read (cached, current and previous version) and rotated.

A small adapter rather than Powertools' SecretsProvider: verification needs two version stages of one secret,
which that cache keys by name alone, and rotation needs the version-stage calls anyway.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

CACHE_SECONDS = 300.0  # a rotation reaches warm functions within five minutes; tokens of the previous key still verify
KEY_BYTES = 48


class SigningKeys:
    """AWSCURRENT signs; AWSCURRENT and AWSPREVIOUS verify (a link sent just before a rotation still works)."""

    def __init__(self, client: Any, secret_id: str, *, clock: Callable[[], float] = time.monotonic):
        self.client = client
        self.secret_id = secret_id
        self.clock = clock
        self._cached: tuple[float, list[bytes]] | None = None

    def _stage(self, stage: str) -> bytes | None:
        try:
            value = self.client.get_secret_value(SecretId=self.secret_id, VersionStage=stage)
        except ClientError as err:
            if err.response["Error"]["Code"] == "ResourceNotFoundException":
                return None  # no previous version yet
            raise
        return str(value["SecretString"]).encode()

    def all(self) -> list[bytes]:
        if self._cached is None or self.clock() - self._cached[0] > CACHE_SECONDS:
            current = self._stage("AWSCURRENT")
            if not current:
                raise RuntimeError("the link-signing secret has no current value")
            previous = self._stage("AWSPREVIOUS")
            self._cached = (self.clock(), [current] + ([previous] if previous and previous != current else []))
        return list(self._cached[1])

    def current(self) -> bytes:
        return self.all()[0]


class SecretRotation:
    """Secrets Manager's four rotation steps for a secret that is only a random key (no service to update)."""

    def __init__(self, client: Any):
        self.client = client

    def check(self, secret_id: str, token: str) -> bool:
        """True if this version is to be rotated; False if it is already current (a repeated step)."""
        metadata = self.client.describe_secret(SecretId=secret_id)
        if not metadata.get("RotationEnabled"):
            raise ValueError(f"rotation is not enabled on {secret_id}")
        stages = metadata.get("VersionIdsToStages", {})
        if token not in stages:
            raise ValueError(f"version {token} is not a version of {secret_id}")
        if "AWSCURRENT" in stages[token]:
            return False
        if "AWSPENDING" not in stages[token]:
            raise ValueError(f"version {token} of {secret_id} is not pending rotation")
        return True

    def create(self, secret_id: str, token: str) -> None:
        """A new random key as the pending version, unless that version exists already (a retried step)."""
        try:
            self.client.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage="AWSPENDING")
            return
        except ClientError as err:
            if err.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
        self.client.put_secret_value(SecretId=secret_id, ClientRequestToken=token,
                                     SecretString=secrets.token_urlsafe(KEY_BYTES), VersionStages=["AWSPENDING"])

    def test(self, secret_id: str, token: str) -> None:
        value = self.client.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage="AWSPENDING")
        if len(str(value.get("SecretString", ""))) < KEY_BYTES:
            raise ValueError("the pending signing key is too short")

    def finish(self, secret_id: str, token: str) -> None:
        """Make the pending version current (the old current one becomes AWSPREVIOUS and still verifies)."""
        stages = self.client.describe_secret(SecretId=secret_id).get("VersionIdsToStages", {})
        current = next((v for v, s in stages.items() if "AWSCURRENT" in s), None)
        if current == token:
            return
        self.client.update_secret_version_stage(SecretId=secret_id, VersionStage="AWSCURRENT",
                                                MoveToVersionId=token, RemoveFromVersionId=current)
