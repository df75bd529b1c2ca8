#!/usr/bin/env python3
"""CDK entry point: reads context (stage, cameras, alert e-mails, retention) and synthesises VideoAlertStack."""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk

# infra/ imports videoalert_contract (names, env vars, the camera-id rule), installed with the project
# (`make setup`: pip install -e .) like the CDK libraries; this directory is on sys.path as the script's own.
from infra.config import StackConfig
from infra.nag import add_rule_packs
from infra.stack import VideoAlertStack

ROOT = Path(__file__).resolve().parent


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> tuple[cdk.App, VideoAlertStack]:
    """The app with its one stack and the cdk-nag packs.

    cdk.json's context (feature flags, defaults) is applied here too, so an app built in a test is the one
    the CLI builds; values from the CLI (cdk.json, -c) take precedence over constructor context.
    """
    defaults = json.loads((ROOT / "cdk.json").read_text())["context"]
    app = cdk.App(context={**defaults, **dict(context or {})}, outdir=outdir)
    config = StackConfig.from_context(app.node.try_get_context)
    stack = VideoAlertStack(app, f"videoalert-{config.stage}", config=config,
                            description=f"videoalert ({config.stage}): camera video -> person alerts")
    cdk.Tags.of(app).add("project", "videoalert")
    cdk.Tags.of(app).add("stage", config.stage)
    add_rule_packs(app)
    return app, stack


if __name__ == "__main__":
    build_app()[0].synth()
