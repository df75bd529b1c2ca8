"""Send camera jobs to the per-camera FIFO queue (SQS SendMessageBatch, ten at a time, a few batches at once)."""
from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from videoalert.domain.jobs import CameraJob

BATCH = 10  # SendMessageBatch's maximum entries
# Batches in flight at once: the tick of 1,000 cameras is 100 calls; one after another at ~20 ms each (in-region)
# they take about 2 s, eight at a time about 0.3 s. boto3 clients are thread-safe; the pool is per call.
PARALLEL_BATCHES = 8


class JobsNotSent(RuntimeError):
    """Some jobs were refused by SQS after the client's retries; the ids are in the message."""


class CameraJobQueue:
    def __init__(self, sqs_client: Any, queue_url: str, *, parallel: int = PARALLEL_BATCHES):
        self.sqs = sqs_client
        self.queue_url = queue_url
        self.parallel = parallel

    def send(self, jobs: Sequence[CameraJob]) -> int:
        """Enqueue every job (a duplicate within SQS's deduplication interval is accepted and dropped by SQS);
        returns how many were sent. Raises JobsNotSent naming the jobs SQS refused."""
        batches = [jobs[i:i + BATCH] for i in range(0, len(jobs), BATCH)]
        if len(batches) <= 1 or self.parallel <= 1:
            failed = [f for batch in batches for f in self._send_batch(batch)]
        else:
            with ThreadPoolExecutor(max_workers=min(self.parallel, len(batches))) as pool:
                failed = [f for result in pool.map(self._send_batch, batches) for f in result]
        if failed:
            raise JobsNotSent(f"{len(failed)} of {len(jobs)} camera jobs refused by SQS: {', '.join(failed[:10])}")
        return len(jobs)

    def _send_batch(self, batch: Sequence[CameraJob]) -> list[str]:
        entries = [{"Id": str(i), "MessageBody": job.to_message(), "MessageGroupId": job.group_id,
                    "MessageDeduplicationId": job.dedup_id} for i, job in enumerate(batch)]
        response = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        return [f"{batch[int(f['Id'])].dedup_id} ({f.get('Code')})" for f in response.get("Failed", [])]


class SegmentJobQueue:
    """Each camera's next segment job, on a standard SQS queue with a per-message delay (a FIFO queue has no
    per-message delay). A copy SQS delivers twice is dropped by the chain's turn (store.cameras.lease)."""

    MAX_DELAY_S = 900  # SQS's longest DelaySeconds

    def __init__(self, sqs_client: Any, queue_url: str):
        self.sqs = sqs_client
        self.queue_url = queue_url

    def send_later(self, job: CameraJob, delay_s: float) -> None:
        delay = max(0, min(self.MAX_DELAY_S, round(delay_s)))
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=job.to_message(), DelaySeconds=delay)

