"""Use cases: the clip lifecycle (lifecycle.py orchestrates intake, scoring, decision, outbox, recovery), the
router's fan-out and a worker's camera job, feedback, review sampling, the camera registry, one-tap links."""
