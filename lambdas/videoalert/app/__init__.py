"""Use cases: dispatch a camera or an upload, apply feedback, sample a day for review."""
