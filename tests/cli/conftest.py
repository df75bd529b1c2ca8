"""CLI tests: the commands' target is the in-process moto emulator with the stack's resources."""
from __future__ import annotations

import pytest

from videoalert_cli import resources
from videoalert_cli.main import main


@pytest.fixture
def moto_target(aws, monkeypatch) -> resources.Target:
    """Every command resolves to moto's resources, cameras cam1 and cam2 registered (as the stack's seed does)."""
    sess, res = aws
    key_arn = sess.client("kms").create_key(Description="the stack's stream key")["KeyMetadata"]["Arn"]
    target = resources.Target(sess, None, {
        "videos_table": res.videos_table, "cameras_table": res.cameras_table, "video_bucket": res.video_bucket,
        "review_bucket": res.review_bucket, "fp_memory_table": res.fp_memory_table, "stream_key_arn": key_arn,
        "stage": "test"},
        stack="videoalert-test")
    monkeypatch.setattr(resources, "resolve", lambda args: target)
    return target


@pytest.fixture
def run(capsys):
    """A CLI command in process: its exit code, stdout and stderr."""
    def call(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return call
