"""Defaults the stack and the functions share, each written once: the pipeline functions' timeout and the clip lease
that must outlast it, the largest clip, the records' retention."""
from __future__ import annotations

# The dispatcher's and the camera worker's Lambda timeout (infra sets it on both functions).
PIPELINE_TIMEOUT_S = 300
# A claim on a clip (and a worker's lease on its camera) outlasts any run of the function that took it (Lambda ends
# a run at its timeout), so only a dead run's clip is taken over; the stack passes it as LEASE_SECONDS.
LEASE_S = PIPELINE_TIMEOUT_S + 60
# A clip over this size is refused (REJECTED TOO_LARGE) by the camera worker and by the inference function.
MAX_VIDEO_BYTES = 200 * 1024 * 1024
# Records expire (DynamoDB TTL) this long after they are created, unless the stack's context says otherwise.
RETENTION_DAYS = 30
