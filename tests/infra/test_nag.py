"""The cdk-nag gate (cdk-nag v3: a policy-validation plugin, not an Aspect).

The session `synth` fixture already proves the real app passes: `App.synth()` raises
`RuntimeError: ValidationFailed` on any unacknowledged finding. These tests prove the gate is
really armed, and audit what was acknowledged. cdk-nag v3 writes its report to
`<outdir>/validation-report.json` (pluginReports[].violations / suppressedViolations).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks

pytestmark = pytest.mark.infra

REPORT = "validation-report.json"


def read_report(outdir: Path) -> dict[str, Any]:
    path = outdir / REPORT
    assert path.exists(), f"no {REPORT} in {outdir}: {sorted(p.name for p in outdir.iterdir())}"
    report: dict[str, Any] = json.loads(path.read_text())
    return report


def aws_solutions(report: dict[str, Any]) -> dict[str, Any]:
    plugins: list[dict[str, Any]] = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    assert len(plugins) == 1
    return plugins[0]


def test_the_real_app_passes_the_gate(synth):
    plugin = aws_solutions(read_report(synth.outdir))
    assert plugin["conclusion"] == "success"
    assert plugin["violations"] == []


def test_the_gate_fires_on_a_bare_queue(tmp_path):
    app = App(outdir=str(tmp_path))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = Stack(app, "Bare")
    sqs.Queue(stack, "Queue")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    plugin = aws_solutions(read_report(tmp_path))
    assert plugin["conclusion"] == "failure"
    assert {"AwsSolutions-SQS3", "AwsSolutions-SQS4"} <= {v["ruleName"] for v in plugin["violations"]}


def test_every_acknowledged_finding_has_a_reason(synth):
    suppressed = aws_solutions(read_report(synth.outdir))["suppressedViolations"]
    assert suppressed, "expected the documented IAM5 acknowledgements in the report"
    for finding in suppressed:
        assert str(finding.get("reason", "")).strip(), finding["ruleName"]


WHOLE_RULES = {"AwsSolutions::AwsSolutions-SQS3"}
"""Rules with no granular form, acknowledged whole on the one construct they misjudge (SQS3 on the
EventBridge targets' delivery DLQs, which cdk-nag does not see as DLQs)."""


def test_acknowledgements_are_granular_and_narrowly_scoped(synth):
    """Acknowledge a granular finding (`Rule[Resource::...]`) on the construct that has it, never a
    whole rule (but those without a granular form) and never the stack or app."""
    stack_path = synth.stack.node.path
    for finding in aws_solutions(read_report(synth.outdir))["suppressedViolations"]:
        acknowledged = finding["acknowledgedId"]
        assert acknowledged.startswith("AwsSolutions::"), acknowledged
        if acknowledged in WHOLE_RULES:
            assert finding["acknowledgedAt"].endswith("/DeliveryDeadLetterQueue"), finding["acknowledgedAt"]
        else:
            assert "[" in acknowledged, f"{acknowledged}: acknowledge the granular finding, not the rule"
        scope = finding["acknowledgedAt"]
        assert scope.startswith(f"{stack_path}/"), f"{acknowledged} acknowledged at {scope}"
        for construct in finding["violatingConstructs"]:
            assert construct["constructPath"].startswith(f"{scope}/"), (acknowledged, construct["constructPath"])
