"""Call the inference function: a Lambda invoke in AWS, an in-process call in the local run."""
from __future__ import annotations

import json
from typing import Any, Callable, Protocol


class InferenceFailed(Exception):
    """The inference function raised, timed out or answered with something that is not a result."""


class InferenceClient(Protocol):
    def score(self, request: dict[str, Any]) -> dict[str, Any]: ...


class LambdaInferenceClient:
    """RequestResponse invoke; a function error (including a timeout) becomes InferenceFailed."""

    def __init__(self, lambda_client, function_name: str):
        self.lambda_client = lambda_client
        self.function_name = function_name

    def score(self, request: dict[str, Any]) -> dict[str, Any]:
        response = self.lambda_client.invoke(FunctionName=self.function_name, InvocationType="RequestResponse",
                                              Payload=json.dumps(request).encode())
        payload = response["Payload"].read()
        if response.get("FunctionError"):
            raise InferenceFailed(f"inference function error: {payload[:500].decode(errors='replace')}")
        try:
            result = json.loads(payload)
        except ValueError as exc:
            raise InferenceFailed(f"inference answer is not JSON: {payload[:200]!r}") from exc
        if not isinstance(result, dict) or "ok" not in result:
            raise InferenceFailed(f"inference answer has no 'ok' field: {str(result)[:200]}")
        return result


class InProcessInferenceClient:
    """Calls the inference handler directly (local run and tests); exceptions become InferenceFailed."""

    def __init__(self, handler: Callable[[dict, Any], dict]):
        self.handler = handler

    def score(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            # A JSON round trip, as over the Lambda API, so nothing non-serialisable slips through.
            return json.loads(json.dumps(self.handler(json.loads(json.dumps(request)), None)))
        except Exception as exc:  # noqa: BLE001 - any failure of the function is a failed invoke
            raise InferenceFailed(f"{type(exc).__name__}: {exc}") from exc
