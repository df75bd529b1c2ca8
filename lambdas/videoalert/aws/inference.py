"""Call the inference function: a Lambda invoke in AWS, an in-process call in the local run. Both speak the
contract (videoalert_contract.inference) and turn any failure into InferenceFailed."""
from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from videoalert.domain.errors import InferenceFailed
from videoalert_contract.inference import InferenceRequest, InferenceResponse, MalformedResponse, parse_response

# Invoke errors worth another try: the service throttled the call or had a transient fault. Anything else (the
# function missing, access denied, a request too large) would fail the same way again.
RETRYABLE_INVOKE_ERRORS = frozenset({
    "TooManyRequestsException", "ServiceException", "EC2ThrottledException", "ENILimitReachedException",
    "ResourceNotReadyException", "ResourceConflictException", "ThrottlingException", "RequestTimeout",
    "SnapStartNotReadyException", "SnapStartTimeoutException",
})
INVOKE_ATTEMPTS = 4
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 8.0


class LambdaInferenceClient:
    """RequestResponse invoke. Throttles, transient service faults and network errors are retried with full-jitter
    exponential backoff (the SDK's own retries are off for this call: see wiring.INVOKE_CONFIG); whatever still
    fails, and any function error (including its timeout), becomes InferenceFailed, which the caller records FAILED.
    """

    def __init__(self, lambda_client: Any, function_name: str, *, attempts: int = INVOKE_ATTEMPTS,
                 sleep: Callable[[float], None] = time.sleep,
                 jitter: Callable[[float, float], float] = random.uniform):
        self.lambda_client = lambda_client
        self.function_name = function_name
        self.attempts = attempts
        self.sleep = sleep
        self.jitter = jitter  # jitter(0, cap) -> a pause in [0, cap] (full jitter)

    def _invoke(self, payload: bytes) -> dict[str, Any]:
        for attempt in range(1, self.attempts + 1):
            try:
                response: dict[str, Any] = self.lambda_client.invoke(
                    FunctionName=self.function_name, InvocationType="RequestResponse", Payload=payload)
                return response
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if code not in RETRYABLE_INVOKE_ERRORS or attempt == self.attempts:
                    raise InferenceFailed(f"invoke failed after {attempt} attempt(s): {code}: {exc}") from exc
            except BotoCoreError as exc:  # network: connection refused or reset, read timeout
                if attempt == self.attempts:
                    raise InferenceFailed(f"invoke failed after {attempt} attempt(s): {exc}") from exc
            self.sleep(self.jitter(0.0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1))))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def score(self, request: InferenceRequest) -> InferenceResponse:
        response = self._invoke(json.dumps(request.to_payload()).encode())
        payload = response["Payload"].read()
        if response.get("FunctionError"):
            raise InferenceFailed(f"inference function error: {payload[:500].decode(errors='replace')}")
        try:
            return parse_response(json.loads(payload))
        except ValueError as exc:  # not JSON, or JSON that is not a response (MalformedResponse)
            raise InferenceFailed(f"inference answer unusable: {exc}; {payload[:200]!r}") from exc


class InProcessInferenceClient:
    """Calls the inference handler directly (local run and tests); exceptions become InferenceFailed."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], dict[str, Any]]):
        self.handler = handler

    def score(self, request: InferenceRequest) -> InferenceResponse:
        try:
            # A JSON round trip, as over the Lambda API, so nothing non-serialisable slips through.
            answer = json.loads(json.dumps(self.handler(json.loads(json.dumps(request.to_payload())), None)))
        except Exception as exc:
            raise InferenceFailed(f"{type(exc).__name__}: {exc}") from exc
        try:
            return parse_response(answer)
        except MalformedResponse as exc:
            raise InferenceFailed(str(exc)) from exc
