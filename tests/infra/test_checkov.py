"""checkov (3.3, CloudFormation checks) on the synthesized template: no failed check.

Every check the template accepts is skipped on its resource, in the template, with a reason
(`stacks/checkov_skips.py`); these tests hold the set of accepted checks to exactly that list and prove
the gate fires on a template that should fail. checkov runs from its own virtualenv (`checkov_env.py`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App

from stacks import checkov_skips
from stacks.application import build_app
from tests.infra.checkov_env import run_checkov
from tests.infra.conftest import cdk_context

pytestmark = [pytest.mark.infra, pytest.mark.timeout(600)]

ACCEPTED = {
    *checkov_skips.SQS_TRIGGERED_FUNCTION,
    *checkov_skips.CUSTOM_RESOURCE_PROVIDER,
    *checkov_skips.ACCESS_LOG_BUCKET,
}


def _with_trail(outdir: Path) -> Path:
    context = {**cdk_context(), "provenance-guard:create-trail": True}
    build_app(App(context=context, outdir=str(outdir))).synth()
    return outdir / "ProvenanceGuard.template.json"


@pytest.fixture(scope="module", params=["default", "with-trail"])
def report(request, synth, tmp_path_factory):
    """The default template (cdk.json), and the one with the optional management-events trail."""
    if request.param == "default":
        return run_checkov(synth.outdir / f"{synth.stack.artifact_id}.template.json")
    return run_checkov(_with_trail(tmp_path_factory.mktemp("cdk.out-trail")))


def test_the_template_fails_no_checkov_check(report):
    failed = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for check in report["results"]["failed_checks"]
    ]
    assert failed == []
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 100, "checkov ran its CloudFormation checks"


def test_every_skip_is_an_accepted_check_with_its_reason(report):
    skipped = report["results"]["skipped_checks"]
    assert skipped, "the accepted checks are skipped in the template"
    for check in skipped:
        assert check["check_id"] in ACCEPTED, check["check_id"]
        reason = check["check_result"].get("suppress_comment") or ""
        assert len(reason) > 40, (check["check_id"], check["resource"])


def test_the_gate_fires_on_an_unencrypted_queue(tmp_path):
    template = tmp_path / "bare.template.json"
    template.write_text(json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}}}}))
    failed = {check["check_id"] for check in run_checkov(template)["results"]["failed_checks"]}
    assert "CKV_AWS_27" in failed  # "Ensure all data stored in the SQS queue is encrypted"
