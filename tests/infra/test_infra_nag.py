"""cdk-nag gates synth: no unacknowledged finding, and every acknowledgement says why."""
from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from infra.nag import acknowledge, add_rule_packs


def test_both_rule_packs_ran_and_found_nothing_unacknowledged(synth):
    # Given the app synthesised in the fixture (it raised nothing), When the validation report is read
    reports = {r["pluginName"]: r for r in synth.validation_report()["pluginReports"]}
    # Then AwsSolutions and Serverless both ran and concluded success with no open violation
    assert set(reports) >= {"AwsSolutions", "Serverless"}
    for name, report in reports.items():
        assert report["conclusion"] == "success", name
        assert report["violations"] == [], name


def test_every_acknowledged_finding_carries_a_written_reason(synth):
    suppressed = [v for r in synth.validation_report()["pluginReports"] for v in r.get("suppressedViolations", [])]
    assert suppressed, "expected the reasoned acknowledgements to be reported"
    for violation in suppressed:
        assert len(violation.get("reason", "").strip()) >= 20, violation["ruleName"]


def test_an_unacknowledged_finding_fails_synth(tmp_path):
    # Given a fresh app with the same packs and a bucket without access logs
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Bare")
    s3.Bucket(stack, "Unlogged", enforce_ssl=True, block_public_access=s3.BlockPublicAccess.BLOCK_ALL)
    add_rule_packs(app)
    # When it is synthesised, Then synth fails
    with pytest.raises(Exception, match="ValidationFailed|Validation failed"):
        app.synth()


def test_an_acknowledgement_without_a_reason_is_refused():
    stack = cdk.Stack(cdk.App(), "Bare")
    with pytest.raises(ValueError, match="reason"):
        acknowledge(stack, "AwsSolutions-S1", "")
