#!/usr/bin/env python3
"""CDK entry point: reads context (stage, cameras, alert e-mails, retention) and synthesises VideoAlertStack."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Mapping

ROOT = Path(__file__).resolve().parent
# videoalert.names/settings are the single source of resource names; import them without pip install -e.
for path in (ROOT, ROOT / "lambdas"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import aws_cdk as cdk  # noqa: E402

from infra.config import StackConfig  # noqa: E402
from infra.nag import add_rule_packs  # noqa: E402
from infra.stack import VideoAlertStack  # noqa: E402


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
