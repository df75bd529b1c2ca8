"""Call the inference function: a Lambda invoke in AWS, an in-process call in the local run. Both speak the
contract (videoalert_contract.inference) and turn any failure into InferenceFailed."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from videoalert.domain.errors import InferenceFailed
from videoalert_contract.inference import InferenceRequest, InferenceResponse, MalformedResponse, parse_response


class LambdaInferenceClient:
    """RequestResponse invoke; a function error (including a timeout) becomes InferenceFailed."""

    def __init__(self, lambda_client: Any, function_name: str):
        self.lambda_client = lambda_client
        self.function_name = function_name

    def score(self, request: InferenceRequest) -> InferenceResponse:
        response = self.lambda_client.invoke(FunctionName=self.function_name, InvocationType="RequestResponse",
                                             Payload=json.dumps(request.to_payload()).encode())
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
