"""Every EventBridge rule in the synthesized template, against AWS-documented sample events.

Rules are mapped to functions by their wiring (rule target queue -> event source mapping -> the
function's PROVENANCE_GUARD_FUNCTION), and matched with moto's pattern matcher (see
`provenance_guard_cli.emulator.event_patterns` for the one thing it does differently: arrays of objects).

EXPECTED is the routing contract of CONTROLS.md §2 for every fixture in tests/fixtures/events: a new
fixture fails `test_every_fixture_has_an_expectation` until someone decides where it goes.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from provenance_guard_cli.emulator.event_patterns import matches
from stacks.triggers import FUNCTIONS
from tests.infra.support import fixture_names, load_event

pytestmark = pytest.mark.infra

AMI, INSTANCE, IMAGE_PUSH, SCAN, LAMBDA, PACKAGES, SWEEP, ECS = (
    "ami_events",
    "instance_events",
    "image_push",
    "scan_results",
    "lambda_changes",
    "package_events",
    "sweep",
    "ecs_events",
)
NOTHING: frozenset[str] = frozenset()

EXPECTED: dict[str, frozenset[str]] = {
    # EC2 AMI state: available -> evaluate; deregistered / disabled -> archive; failed -> not a trigger
    "ec2-ami-state-change-available": frozenset({AMI}),
    "ec2-ami-state-change-deregistered": frozenset({AMI}),
    "ec2-ami-state-change-disabled": frozenset({AMI}),
    "ec2-ami-state-change-failed": NOTHING,
    "imagebuilder-image-state-change-available": frozenset({AMI}),
    "cloudtrail-ec2-modifyimageattribute-account": frozenset({AMI}),
    "cloudtrail-ec2-modifyimageattribute-organization": frozenset({AMI}),
    "cloudtrail-ec2-modifyimageattribute-public": frozenset({AMI}),
    "cloudtrail-ec2-resetimageattribute": frozenset({AMI}),
    # instances: launch (pending, RunInstances) -> evaluate; terminated -> archive; StartInstances -> no
    "ec2-instance-state-change-pending": frozenset({INSTANCE}),
    "ec2-instance-state-change-terminated": frozenset({INSTANCE}),
    "cloudtrail-ec2-runinstances": frozenset({INSTANCE}),
    "cloudtrail-ec2-startinstances": NOTHING,
    # container images and repositories
    "ecr-image-action-push": frozenset({IMAGE_PUSH}),
    "ecr-image-action-delete": frozenset({IMAGE_PUSH}),
    "ecr-image-action-archive": frozenset({IMAGE_PUSH}),  # archive storage class: archive its findings
    "ecr-image-action-restore": frozenset({IMAGE_PUSH}),  # restored: judged again
    "ecr-replication-action": frozenset({IMAGE_PUSH}),
    "ecr-replication-action-failed": NOTHING,
    "ecr-referrer-action-restore": frozenset({IMAGE_PUSH}),
    "ecr-image-action-push-cosign-signature": frozenset({IMAGE_PUSH}),  # a legacy cosign `.sig` push
    "ecr-referrer-action-push-cosign-bundle": frozenset({IMAGE_PUSH}),  # a cosign v3 bundle referrer
    "cloudtrail-ecr-createrepository": frozenset({IMAGE_PUSH}),
    "cloudtrail-ecr-deleterepository": frozenset({IMAGE_PUSH}),
    "cloudtrail-ecr-putimagescanningconfiguration": frozenset({IMAGE_PUSH}),
    "cloudtrail-ecr-putimagetagmutability": frozenset({IMAGE_PUSH}),
    "cloudtrail-ecr-putregistryscanningconfiguration": frozenset({IMAGE_PUSH}),
    # ECS: task state changes, task definition and service calls; launch templates (instance_events)
    "ecs-task-state-change-running": frozenset({ECS}),
    "ecs-task-state-change-running-service": frozenset({ECS}),
    "ecs-task-state-change-stopped": frozenset({ECS}),
    "cloudtrail-ecs-createcluster": NOTHING,
    "cloudtrail-ecs-registertaskdefinition": frozenset({ECS}),
    "cloudtrail-ecs-deregistertaskdefinition": frozenset({ECS}),
    "cloudtrail-ecs-createservice": frozenset({ECS}),
    "cloudtrail-ecs-updateservice": frozenset({ECS}),
    "cloudtrail-ecs-deleteservice": frozenset({ECS}),
    "cloudtrail-ec2-createlaunchtemplate": frozenset({INSTANCE}),
    "cloudtrail-ec2-createlaunchtemplateversion": frozenset({INSTANCE}),
    "cloudtrail-ec2-modifylaunchtemplate": frozenset({INSTANCE}),
    "cloudtrail-ec2-deletelaunchtemplate": frozenset({INSTANCE}),
    # vulnerability scans
    "ecr-image-scan": frozenset({SCAN}),
    "inspector2-scan-ecr": frozenset({SCAN}),
    "inspector2-scan-ecr-ecr-userguide": frozenset({SCAN}),
    "inspector2-finding-ecr": frozenset({SCAN}),
    "inspector2-finding-ecr-ecr-userguide": frozenset({SCAN}),
    # Lambda (a failed call still reaches the function, whose parser ignores calls with errorCode)
    "cloudtrail-lambda-createfunction": frozenset({LAMBDA}),
    "cloudtrail-lambda-updatefunctioncode": frozenset({LAMBDA}),
    "cloudtrail-lambda-updatefunctionconfiguration": frozenset({LAMBDA}),
    "cloudtrail-lambda-deletefunction": frozenset({LAMBDA}),
    "cloudtrail-lambda-deletefunction-accessdenied": frozenset({LAMBDA}),
    "cloudtrail-lambda-putfunctioncodesigningconfig": frozenset({LAMBDA}),
    "cloudtrail-lambda-deletefunctioncodesigningconfig": frozenset({LAMBDA}),
    "cloudtrail-lambda-updatecodesigningconfig": frozenset({LAMBDA}),
    "cloudtrail-lambda-deletecodesigningconfig": frozenset({LAMBDA}),
    "cloudtrail-lambda-getfunction-accessdenied": NOTHING,
    # CodeArtifact: package version events (an event about another owner's domain is dropped by the parser)
    # and the calls that change sources, package groups and policies; GetAuthorizationToken is no trigger
    "codeartifact-package-version-state-change": frozenset({PACKAGES}),
    "codeartifact-package-version-state-change-domain-owner": frozenset({PACKAGES}),
    "cloudtrail-codeartifact-getauthorizationtoken": NOTHING,
    "cloudtrail-codeartifact-createrepository": frozenset({PACKAGES}),
    "cloudtrail-codeartifact-updaterepository": frozenset({PACKAGES}),
    "cloudtrail-codeartifact-associateexternalconnection": frozenset({PACKAGES}),
    "cloudtrail-codeartifact-disassociateexternalconnection": frozenset({PACKAGES}),
    "cloudtrail-codeartifact-putrepositorypermissionspolicy": frozenset({PACKAGES}),
    "cloudtrail-codeartifact-putdomainpermissionspolicy": frozenset({PACKAGES}),
    "cloudtrail-codeartifact-createpackagegroup": frozenset({PACKAGES}),
    "cloudtrail-codeartifact-updatepackagegrouporiginconfiguration": frozenset({PACKAGES}),
    "cloudtrail-codeartifact-deletepackagegroup": frozenset({PACKAGES}),
    "cloudtrail-codeartifact-putpackageoriginconfiguration": frozenset({PACKAGES}),
    "cloudtrail-codeartifact-deleterepository": frozenset({PACKAGES}),
    # our own findings coming back from Security Hub must never trigger anything (no loops)
    "securityhub-findings-imported": NOTHING,
    # remediation is off in the shipped policy: the custom action has no function (test_remediation_stack.py)
    "securityhub-findings-custom-action": NOTHING,
}

LAMBDA_LOOKALIKES = [
    # real Lambda API event names sharing a prefix with a trigger: none of them changes code or signing
    "CreateFunctionUrlConfig20211031",
    "UpdateFunctionUrlConfig20211031",
    "DeleteFunctionUrlConfig20211031",
    "DeleteFunctionConcurrency20171031",
    "DeleteFunctionEventInvokeConfig20190925",
    "GetFunctionCodeSigningConfig",
    "GetFunction20150331v2",
]
LAMBDA_TRIGGERS = [
    # bare and versioned forms of every name the rule lists (versions as CloudTrail writes them)
    "CreateFunction",
    "CreateFunction20150331",
    "UpdateFunctionCode20150331v2",
    "UpdateFunctionConfiguration20150331v2",
    "DeleteFunction20150331",
    "PutFunctionCodeSigningConfig",
    "DeleteFunctionCodeSigningConfig",
    "UpdateCodeSigningConfig",
    "DeleteCodeSigningConfig",
]


@pytest.fixture(scope="module")
def routes(model) -> dict[str, tuple[dict[str, Any], frozenset[str]]]:
    """Rule logical id -> (its EventPattern, the functions it delivers to)."""
    return {
        rule_id: (props["EventPattern"], frozenset(model.rule_functions(rule_id)))
        for rule_id, props in model.pattern_rules().items()
    }


def matching_rules(routes, event: dict[str, Any]) -> list[str]:
    return [rule_id for rule_id, (pattern, _) in routes.items() if matches(pattern, event)]


def routed_to(routes, event: dict[str, Any]) -> frozenset[str]:
    return frozenset(name for rule_id in matching_rules(routes, event) for name in routes[rule_id][1])


def with_event_name(base: str, event_name: str) -> dict[str, Any]:
    event = load_event(base)
    event["detail"]["eventName"] = event_name
    return event


def test_every_fixture_has_an_expectation():
    on_disk = set(fixture_names())
    assert on_disk - EXPECTED.keys() == set(), "new fixture(s): add them to EXPECTED"
    assert EXPECTED.keys() - on_disk == set(), "EXPECTED names fixtures that do not exist"


def test_every_function_except_the_sweep_is_reached_by_a_fixture():
    reached = set().union(*EXPECTED.values())
    assert reached == {spec.name for spec in FUNCTIONS} - {SWEEP}


@pytest.mark.parametrize("name", fixture_names())
def test_fixture_reaches_exactly_the_expected_functions(routes, name):
    assert name in EXPECTED, f"{name}: add it to EXPECTED"
    assert routed_to(routes, load_event(name)) == EXPECTED[name]


@pytest.mark.parametrize("name", fixture_names())
def test_no_event_is_delivered_twice(routes, name):
    """Two matching rules would put the same event on a queue twice."""
    assert len(matching_rules(routes, load_event(name))) <= 1


def test_every_rule_is_exercised(routes):
    events = [load_event(name) for name in fixture_names()] + [sweep_requested()]
    unused = {rule_id for rule_id in routes if not any(matches(routes[rule_id][0], e) for e in events)}
    assert unused == set(), "rules no sample event reaches: add a documented fixture"


@pytest.mark.parametrize("event_name", LAMBDA_LOOKALIKES)
def test_lambda_lookalike_event_names_do_not_match(routes, event_name):
    assert routed_to(routes, with_event_name("cloudtrail-lambda-createfunction", event_name)) == NOTHING


@pytest.mark.parametrize("event_name", LAMBDA_TRIGGERS)
def test_lambda_trigger_event_names_match_bare_and_versioned(routes, event_name):
    assert routed_to(routes, with_event_name("cloudtrail-lambda-createfunction", event_name)) == {LAMBDA}


@pytest.mark.parametrize("name", sorted(name for name, expected in EXPECTED.items() if expected))
def test_right_detail_type_from_another_source_does_not_match(routes, name):
    event = load_event(name)
    event["source"] = "custom.not-aws"
    assert routed_to(routes, event) == NOTHING


def sweep_requested() -> dict[str, Any]:
    """An on-demand sweep as `provenance-guard` would PutEvents it (no AWS-documented sample exists)."""
    event = copy.deepcopy(load_event("ec2-ami-state-change-available"))
    event.update({"source": "provenance-guard", "detail-type": "Sweep Requested", "resources": [], "detail": {}})
    return event


def test_ecr_and_codeartifact_create_repository_reach_their_own_functions(routes):
    """One event name in two event sources: each rule names its source (the dispatch keys on both too)."""
    codeartifact = load_event("cloudtrail-codeartifact-createrepository")
    ecr = load_event("cloudtrail-ecr-createrepository")
    assert codeartifact["detail"]["eventName"] == ecr["detail"]["eventName"] == "CreateRepository"
    assert routed_to(routes, codeartifact) == {PACKAGES}
    assert routed_to(routes, ecr) == {IMAGE_PUSH}
    crossed = copy.deepcopy(codeartifact)
    crossed["detail"]["eventSource"] = "ecr.amazonaws.com"
    assert routed_to(routes, crossed) == NOTHING


def test_sweep_requested_reaches_only_the_sweep(routes):
    assert routed_to(routes, sweep_requested()) == {SWEEP}


def _derived(name: str, change: dict[str, Any]) -> dict[str, Any]:
    """A fixture with one `detail` field replaced (None removes it)."""
    event = load_event(name)
    for path, value in change.items():
        *parents, leaf = path.split(".")
        node = event
        for parent in parents:
            node = node[parent]
        if value is None:
            node.pop(leaf)
        else:
            node[leaf] = value
    return event


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("ec2-ami-state-change-available", {"detail.State": "pending"}),
        ("ec2-instance-state-change-pending", {"detail.state": "running"}),
        ("ec2-instance-state-change-pending", {"detail.state": "stopped"}),
        ("imagebuilder-image-state-change-available", {"detail.state": {"status": "BUILDING"}}),
        ("ecr-image-action-push", {"detail.result": "FAILURE"}),
        ("inspector2-scan-ecr", {"detail.image-digest": None}),  # an EC2 / Lambda scan, not an image
        (
            "inspector2-finding-ecr",
            {"detail.resources": [{"type": "AWS_EC2_INSTANCE", "id": "i-1234567890abcdef0"}]},
        ),
        ("securityhub-findings-imported", {"detail-type": "Findings Imported V2"}),
    ],
    ids=lambda value: value if isinstance(value, str) else json.dumps(value)[:40],
)
def test_derived_non_triggers_do_not_match(routes, name, change):
    assert routed_to(routes, _derived(name, change)) == NOTHING


def test_every_rule_pattern_fits_putrule(routes):
    """PutRule's EventPattern is a string of at most 4,096 characters (research/securityhub.md §8)."""
    for rule_id, (pattern, _) in routes.items():
        assert len(json.dumps(pattern, separators=(",", ":"))) <= 4096, rule_id


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_synthesized_patterns_are_the_specs(routes, spec):
    """The CDK EventPattern conversion (stacks/constructs/event_pipeline._pattern) loses nothing."""
    synthesized = sorted(json.dumps(p, sort_keys=True) for p, names in routes.values() if names == {spec.name})
    declared = sorted(json.dumps(rule.pattern, sort_keys=True) for rule in spec.rules)
    assert synthesized == declared
