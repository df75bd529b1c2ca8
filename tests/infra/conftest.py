"""One synthesis of the real app (app.build_app, cdk-nag included) shared by every infra test."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

import app as cdk_app

CONTEXT = {"stage": "test", "cameras": "front,back-yard", "alert_emails": "owner@example.com",
           "ops_emails": ["ops@example.com"], "video_retention_days": "14"}


@dataclass
class Synth:
    outdir: Path
    stack: Any
    template: Template

    @property
    def json(self) -> dict:
        return self.template.to_json()

    def resources(self, cfn_type: str) -> dict[str, dict]:
        return {lid: r for lid, r in self.json["Resources"].items() if r["Type"] == cfn_type}

    def logical_id(self, construct) -> str:
        return self.stack.get_logical_id(construct.node.default_child)

    def validation_report(self) -> dict:
        return json.loads((self.outdir / "validation-report.json").read_text())


@pytest.fixture(scope="session")
def synth(tmp_path_factory) -> Synth:
    """Given the app with two cameras, e-mails and 14-day retention, When it is synthesised (nag runs),
    Then everything below is asserted on that one cloud assembly."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stack = cdk_app.build_app(CONTEXT, outdir=str(outdir))
    assembly = app.synth()  # raises if cdk-nag finds an unacknowledged problem
    template = Template.from_json(assembly.get_stack_by_name(stack.stack_name).template)
    return Synth(outdir=outdir, stack=stack, template=template)
