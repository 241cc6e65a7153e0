"""The policy's checks beyond types: every problem of a document at once, ARN shapes part by part, control
ids against the registry, exemption expiry and reasons, namespaces per package format, chat channel ids,
and the shipped and demo policies."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from provenance_guard.controls import full_context
from provenance_guard.policy import (
    InvalidPolicyError,
    PackageNamespace,
    Policy,
    PolicyError,
    PolicyProblems,
    SlackChannel,
    TeamsChannel,
    check_document,
)
from provenance_guard.policy_rules import CheckContext
from provenance_guard.policy_source import check_policy_file
from provenance_guard_cli.sample_account import DEMO_POLICY

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 6, 1)
CONTEXT = full_context(TODAY)


def problems(document: Any, context: CheckContext = CONTEXT) -> PolicyProblems:
    return check_document(document, context)[1]


def errors(document: Any) -> dict[str, str]:
    return {e.path: e.problem for e in problems(document).errors}


def only_error(document: Any) -> PolicyError:
    (error,) = problems(document).errors
    return error


NOTIFIED = {"notifications": {"emails": ["security@example.com"]}}


def exemption(**fields: Any) -> dict[str, Any]:
    return {**NOTIFIED, "exemptions": [{"reason": "r", "expires": "2030-01-01", "resources": ["*"], **fields}]}


# --- every problem at once -----------------------------------------------------------------------

SEVERAL_ERRORS: dict[str, Any] = {
    "version": 1,
    "amis": {},
    "ami": {
        "max_age_days": "ninety",
        "approved_pipelines": ["arn:aws:imagebuildr:*:*:image-pipeline/golden-*"],
        "allowed_share_targets": ["12345"],
    },
    "container": {"signatures": {"trust_policies": [{"name": "x", "verification_level": "lenient"}]}},
    "lambda": {"trusted_signing_profiles": ["arn:aws:signer:us-east-1:12345:/signing-profiles/Release"]},
    "exemptions": [
        {"controls": ["PG.AMI.9"], "resources": ["i-0123456789abcdef0"], "expires": "2020-01-01"},
        {"reason": "legacy", "expires": "2021-12-31", "resources": ["*"]},
    ],
    "remediation": {"PG.AMI.3": "sometimes"},
    "notifications": {"emails": ["not-an-address"]},
}


def test_a_policy_with_several_errors_gets_them_all_with_their_paths() -> None:
    found = problems(SEVERAL_ERRORS)
    assert [e.path for e in found.errors] == [
        "amis",
        "ami.approved_pipelines[0]",
        "ami.allowed_share_targets[0]",
        "ami.max_age_days",
        "container.signatures.trust_policies[0].verification_level",
        "lambda.trusted_signing_profiles[0]",
        "exemptions[0].reason",
        "exemptions[0].controls[0]",
        "exemptions[0].resources[0]",
        "remediation.PG.AMI.3",
        "notifications.emails[0]",
    ]
    assert [w.path for w in found.warnings] == ["exemptions[0].expires", "exemptions[1].expires"]


def test_from_document_raises_the_first_error_holding_them_all() -> None:
    with pytest.raises(PolicyError) as raised:
        Policy.from_document(SEVERAL_ERRORS, CONTEXT)
    assert isinstance(raised.value, InvalidPolicyError)
    assert raised.value.path == "amis"
    assert len(raised.value.problems.errors) == 11
    assert str(raised.value).endswith("(and 10 more errors)")


def test_a_valid_document_has_no_problems_and_builds() -> None:
    policy, found = check_document({"notifications": {"emails": ["security@example.com"]}}, CONTEXT)
    assert found == PolicyProblems()
    assert policy == Policy.from_document({"notifications": {"emails": ["security@example.com"]}})


def test_a_section_with_errors_does_not_hide_its_siblings_errors() -> None:
    found = errors({"ami": {"max_age_days": 0, "max_scan_age_days": -1}, "lambda": {"trusted_layer_accounts": ["x"]}})
    assert set(found) == {"ami.max_age_days", "ami.max_scan_age_days", "lambda.trusted_layer_accounts[0]"}


# --- ARN shapes ----------------------------------------------------------------------------------

IB = "arn:aws:imagebuilder"
SIGNER = "arn:aws:signer:us-east-1"
PROFILES = f"{SIGNER}:111122223333:/signing-profiles"
ORGS = "arn:aws:organizations:"
ORG = "organization/o-a1b2c3d4e5"
PIPELINES, COMPONENTS, PROFILE_ARNS = (
    "ami.approved_pipelines",
    "ami.hardening.required_components",
    "lambda.trusted_signing_profiles",
)
SHARES = "ami.allowed_share_targets"
ARN_CASES = [
    # (field, value, expected problem or None)
    (PIPELINES, f"{IB}:*:*:image-pipeline/golden-*", None),
    (PIPELINES, f"{IB}:us-east-1:111122223333:image-pipeline/golden-al2023", None),
    (PIPELINES, "arn:aws-us-gov:imagebuilder:us-gov-west-1:1111*:image-pipeline/*", None),
    (PIPELINES, "arn:aws:imagebuildr:*:*:image-pipeline/golden-*", "service 'imagebuildr' is not imagebuilder"),
    (PIPELINES, f"{IB}:*:12345:image-pipeline/x", "account '12345' is not a 12-digit account id"),
    (PIPELINES, f"{IB}:*:*:image-recipe/x/1.0.0", "resource 'image-recipe/x/1.0.0'"),
    (PIPELINES, f"{IB}:*:*:image-pipeline/Golden", "lower case"),
    (PIPELINES, f"{IB}:useast1:*:image-pipeline/x", "region 'useast1' is not a Region"),
    (PIPELINES, "arn:amazon:imagebuilder:*:*:image-pipeline/x", "partition 'amazon'"),
    (PIPELINES, f"{IB}:*:image-pipeline/x", "an ARN has six parts"),
    (PIPELINES, "golden-*", "is not an Image Builder pipeline ARN pattern"),
    (COMPONENTS, f"{IB}:*:aws:component/stig-build-linux-*", None),
    (COMPONENTS, f"{IB}:us-east-1:aws:component/stig-build-linux-high/2025.1.0/1", None),
    (COMPONENTS, f"{IB}:*:111122223333:component/cis/1.x.x", None),
    (COMPONENTS, f"{IB}:*:third-party:component/cis-*", None),
    (COMPONENTS, f"{IB}:*:aws:image-pipeline/x", "resource 'image-pipeline/x'"),
    (COMPONENTS, f"{IB}:*:amazon:component/x", "account 'amazon'"),
    (PROFILE_ARNS, f"{PROFILES}/Release_1", None),
    (PROFILE_ARNS, f"{PROFILES}/Release/a1B2c3D4e5", None),
    (PROFILE_ARNS, f"{SIGNER}:12345:/signing-profiles/Release", "account '12345'"),
    (PROFILE_ARNS, "arn:aws:signer:*:111122223333:/signing-profiles/Release", "region '*' is not a Region"),
    (PROFILE_ARNS, f"{PROFILES}/*", "resource"),
    (PROFILE_ARNS, f"{SIGNER}:111122223333:signing-profiles/Release", "resource"),
    (PROFILE_ARNS, f"{PROFILES}/Release/v1", "10-character version"),
    (PROFILE_ARNS, "arn:aws:singer:us-east-1:111122223333:/signing-profiles/Release", "service 'singer' is not signer"),
    (SHARES, f"{ORGS}:111122223333:{ORG}", None),
    (SHARES, f"{ORGS}:111122223333:ou/o-a1b2c3d4e5/ou-ab12-cdef3456", None),
    (SHARES, f"{ORGS}:11112222333:{ORG}", "account '11112222333'"),
    (SHARES, f"{ORGS}us-east-1:111122223333:{ORG}", "region 'us-east-1' is not empty"),
    (SHARES, f"{ORGS}:111122223333:organization/o-short", "resource 'organization/o-short'"),
    (SHARES, f"{ORGS}:111122223333:ou/o-a1b2c3d4e5/ou-x", "resource"),
    (SHARES, "o-a1b2c3d4e5", "neither a 12-digit account id, nor an organization ARN, nor an OU ARN"),
    ("packages.allowed_principals", f"arn:aws:organization::111122223333:{ORG}", "service 'organization'"),
]


@pytest.mark.parametrize(("where", "value", "expected"), ARN_CASES)
def test_every_arn_is_checked_part_by_part(where: str, value: str, expected: str | None) -> None:
    *sections, key = where.split(".")
    document: dict[str, Any] = {}
    level = document
    for part in sections:
        level = level.setdefault(part, {})
    level[key] = [value]
    found = errors(document)
    if expected is None:
        assert found == {}
        return
    assert list(found) == [f"{where}[0]"]
    assert expected in found[f"{where}[0]"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("*", None),
        ("arn:aws:ec2:*::image/ami-0legacy*", None),
        ("arn:aws:lambda:us-east-1:111122223333:function:legacy-*", None),
        ("arn:*:ecr:*:*:repository/team/*", None),
        ("i-0123456789abcdef0", "is not an ARN glob"),
        ("arn:aws:ec2:*:12345:instance/*", "account '12345'"),
        ("arn:aws:lambda:*", "an ARN has six parts"),
    ],
)
def test_exemption_resources_are_arn_globs(value: str, expected: str | None) -> None:
    found = errors(exemption(resources=[value]))
    assert (found == {}) if expected is None else (expected in found["exemptions[0].resources[0]"])


# --- control ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize("controls", [["PG.AMI.3"], ["PG.AMI.*"], ["*"], ["PG.LAMBDA.?"]])
def test_exemption_controls_that_exist_are_accepted(controls: list[str]) -> None:
    assert errors(exemption(controls=controls)) == {}


@pytest.mark.parametrize(
    ("control", "expected"),
    [
        ("PG.AMI.9", "'PG.AMI.9' is not a control of this version: PG.AMI has PG.AMI.1, PG.AMI.2"),
        ("PG.NOPE.*", "matches no control"),
        ("pg.ami.1", "is not a control id (PG.<FAMILY>.<n>) or a pattern of them"),
        ("AMI.1", "is not a control id"),
    ],
)
def test_exemption_controls_are_checked_against_the_registry(control: str, expected: str) -> None:
    error = only_error(exemption(controls=[control]))
    assert error.path == "exemptions[0].controls[0]"
    assert expected in error.problem


def test_remediation_names_registered_controls_and_a_mode() -> None:
    found = errors({"remediation": {"PG.AMI.3": "on-demand", "PG.ECR.99": "automatic", "PG.ECR.1": "now"}})
    assert set(found) == {"remediation.PG.ECR.99", "remediation.PG.ECR.1"}
    assert "not a control of this version" in found["remediation.PG.ECR.99"]
    assert "must be one of 'off', 'on-demand', 'automatic'" in found["remediation.PG.ECR.1"]
    assert errors({"remediation": {"PG.AMI.*": "automatic"}}) == {
        "remediation.PG.AMI.*": "'PG.AMI.*' is not a control id (PG.<FAMILY>.<n>)"
    }


def test_without_the_registry_control_ids_are_checked_for_shape_only() -> None:
    """A function loading the policy synth validated does not import the registry."""
    assert problems(exemption(controls=["PG.AMI.9"]), CheckContext()).errors == ()
    assert problems(exemption(controls=["AMI-9"]), CheckContext()).errors != ()


def test_remediation_mode_defaults_to_off() -> None:
    policy = Policy.from_document({"remediation": {"PG.AMI.3": "automatic"}})
    assert (policy.remediation_mode("PG.AMI.3"), policy.remediation_mode("PG.AMI.5")) == ("automatic", "off")


# --- exemptions: expiry and reason ---------------------------------------------------------------


def test_an_expired_exemption_is_a_warning_not_an_error() -> None:
    found = problems(exemption(expires="2026-05-31"))
    assert found.errors == ()
    (warning,) = found.warnings
    assert warning.path == "exemptions[0].expires"
    assert "expired on 2026-05-31" in warning.problem


def test_an_exemption_expiring_today_still_applies() -> None:
    assert problems(exemption(expires=TODAY.isoformat())).warnings == ()


def test_without_a_date_nothing_has_expired() -> None:
    assert problems(exemption(expires="2001-01-01"), CheckContext()).warnings == ()


@pytest.mark.parametrize(("fields", "problem"), [({"reason": "   "}, "blank"), ({"reason": ""}, "non-empty string")])
def test_an_exemption_needs_a_reason(fields: dict[str, Any], problem: str) -> None:
    error = only_error(exemption(**fields))
    assert error.path == "exemptions[0].reason"
    assert problem in error.problem


def test_a_missing_reason_is_an_error() -> None:
    error = only_error({"exemptions": [{"resources": ["*"], "expires": "2030-01-01"}]})
    assert (error.path, error.problem) == ("exemptions[0].reason", "is required")


def test_an_exemption_naming_neither_resources_nor_tags_is_a_warning() -> None:
    found = problems({**NOTIFIED, "exemptions": [{"reason": "r", "expires": "2030-01-01"}]})
    assert found.errors == ()
    assert [(w.path, "exempts nothing" in w.problem) for w in found.warnings] == [("exemptions[0]", True)]


# --- package namespaces, per format --------------------------------------------------------------

GOOD_NAMESPACES = [
    ("npm:@acme", PackageNamespace("npm", "acme", "*")),
    ("npm:@acme/*", PackageNamespace("npm", "acme", "*")),
    ("npm:@acme/ui-*", PackageNamespace("npm", "acme", "ui-*")),
    ("npm:acme-*", PackageNamespace("npm", None, "acme-*")),
    ("pypi:acme-*", PackageNamespace("pypi", None, "acme-*")),
    ("pypi:acme-tools", PackageNamespace("pypi", None, "acme-tools")),
    ("maven:com.acme", PackageNamespace("maven", "com.acme", "*")),
    ("maven:com.acme.*", PackageNamespace("maven", "com.acme.*", "*")),
    ("maven:com.acme:core-*", PackageNamespace("maven", "com.acme", "core-*")),
    ("nuget:Acme.*", PackageNamespace("nuget", None, "Acme.*")),
    ("generic:acme", PackageNamespace("generic", "acme", "*")),
    ("generic:acme/tool-*", PackageNamespace("generic", "acme", "tool-*")),
]


def test_namespaces_of_every_format_are_accepted_and_split() -> None:
    policy = Policy.from_document({"packages": {"internal_namespaces": [entry for entry, _ in GOOD_NAMESPACES]}})
    assert policy.packages.namespaces() == tuple(parsed for _, parsed in GOOD_NAMESPACES)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("pypi:Acme_Tools", "PEP 503-normalised: write pypi:acme-tools"),
        ("pypi:acme.tools", "write pypi:acme-tools"),
        ("pypi:*", "wildcards only"),
        ("npm:@Acme/ui", "lower case"),
        ("npm:@acme/UI", "lower case"),
        ("npm:*", "wildcards only"),
        ("npm:@/x", "is not an npm scope or name"),
        ("maven:com..acme", "is not a Maven group id"),
        ("maven:*", "wildcards only"),
        ("nuget:.Acme", "is not a NuGet package id"),
        ("generic:acme/tools/x", "is not a generic namespace"),
        ("cargo:acme-*", "the format one of npm, pypi, maven, nuget, generic"),
        ("@acme", "<format>:<namespace or name>"),
    ],
)
def test_namespace_syntax_is_checked_per_format(entry: str, expected: str) -> None:
    error = only_error({"packages": {"internal_namespaces": [entry]}})
    assert error.path == "packages.internal_namespaces[0]"
    assert expected in error.problem


def test_external_connections_are_codeartifacts() -> None:
    assert errors({"packages": {"allowed_external_connections": ["public:maven-central", "public:crates-io"]}}) == {}
    error = only_error({"packages": {"allowed_external_connections": ["public:npm"]}})
    assert "is not a CodeArtifact external connection (public:npmjs" in error.problem


# --- chat channels -------------------------------------------------------------------------------

SLACK = {"platform": "slack", "workspace_id": "T07EA123LEP", "channel_id": "C07EZ1ABC23"}
TEAMS = {
    "platform": "teams",
    "tenant_id": "a1b2c3d4-0000-4000-8000-1234567890ab",
    "team_id": "74361522-da01-538d-aa2e-ac7918c6bb92",
    "channel_id": "19%3a0123456789abcdef0123456789abcdef%40thread.tacv2",
}


def test_slack_and_teams_channels_are_read_by_platform() -> None:
    chat = Policy.from_document({"notifications": {"chat": [SLACK, TEAMS]}}).notifications.chat
    assert chat == (
        SlackChannel("slack", "T07EA123LEP", "C07EZ1ABC23"),
        TeamsChannel("teams", TEAMS["tenant_id"], TEAMS["team_id"], TEAMS["channel_id"]),
    )


@pytest.mark.parametrize(
    ("channel", "path", "expected"),
    [
        ({**SLACK, "workspace_id": "t07ea123lep"}, "workspace_id", "not a Slack workspace id"),
        ({**SLACK, "channel_id": "#security"}, "channel_id", "not a Slack channel id"),
        ({**TEAMS, "tenant_id": "1234"}, "tenant_id", "not a Microsoft Entra tenant id"),
        ({**TEAMS, "team_id": "team"}, "team_id", "not a Microsoft Teams team id"),
        ({**TEAMS, "channel_id": "19:abc@thread.tacv2"}, "channel_id", "URL-encoded"),
        ({**SLACK, "team_id": TEAMS["team_id"]}, "team_id", "unknown key (allowed here: channel_id, platform"),
        ({"workspace_id": "T1", "channel_id": "C1"}, "platform", "is required (one of 'slack', 'teams')"),
        ({**SLACK, "platform": "discord"}, "platform", "must be one of 'slack', 'teams', got 'discord'"),
        ({"platform": "teams", "channel_id": TEAMS["channel_id"]}, "tenant_id", "is required"),
    ],
)
def test_chat_channel_ids_follow_aws_chatbot(channel: dict[str, Any], path: str, expected: str) -> None:
    found = errors({"notifications": {"chat": [channel]}})
    assert expected in found[f"notifications.chat[0].{path}"]


def test_no_email_and_no_chat_warns_that_no_one_will_be_notified() -> None:
    (warning,) = problems({}).warnings
    assert warning.path == "notifications"
    assert "no one will be notified" in warning.problem
    assert problems({"notifications": {"chat": [SLACK]}}).warnings == ()
    assert problems({"notifications": {"emails": ["security@example.com"]}}).warnings == ()


# --- other §6.3 fields ---------------------------------------------------------------------------

CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"


@pytest.mark.parametrize(
    ("document", "path", "expected"),
    [
        ({"ami": {"trusted_watermarks": ["golden"]}}, "ami.trusted_watermarks[0]", "is not a watermark key"),
        ({"ami": {"trusted_watermarks": ["12345:golden"]}}, "ami.trusted_watermarks[0]", "is not a watermark key"),
        ({"ami": {"trusted_base_owners": ["amazon", "Self"]}}, "ami.trusted_base_owners[1]", "neither a 12-digit"),
        ({"ami": {"max_scan_age_days": 0}}, "ami.max_scan_age_days", "positive number of days"),
        ({"ami": {"fix_sla": {"min_severity": "URGENT"}}}, "ami.fix_sla.min_severity", "must be one of"),
        ({"ami": {"fix_sla": {"days": -1}}}, "ami.fix_sla.days", "0 or more days"),
        (
            {"ami": {"allowed_images": {"accept_audit_mode": "yes"}}},
            "ami.allowed_images.accept_audit_mode",
            "true or false",
        ),
        (
            {"container": {"provenance": {"trusted_builders": [{"builder_id": "*", "source_repositories": ["x:y"]}]}}},
            "container.provenance.trusted_builders[0].builder_id",
            "not only wildcards",
        ),
        (
            {"container": {"provenance": {"trusted_builders": [{"builder_id": "b:x", "source_repositories": []}]}}},
            "container.provenance.trusted_builders[0].source_repositories",
            "at least one",
        ),
        (
            {"container": {"signatures": {"keyless_identities": [{"issuer": "http://issuer", "subject": "x"}]}}},
            "container.signatures.keyless_identities[0].issuer",
            "https:// URL",
        ),
        (
            {"container": {"signatures": {"keyless_identities": [{"issuer": "https://i", "subject": "**"}]}}},
            "container.signatures.keyless_identities[0].subject",
            "not only wildcards",
        ),
        (
            {"container": {"signatures": {"timestamp_authorities": {"digicert": CERTIFICATE}}}},
            "container.signatures.timestamp_authorities.digicert",
            "is not tsa:<name>",
        ),
        (
            {"container": {"signatures": {"timestamp_authorities": {"tsa:x": PRIVATE_KEY}}}},
            "container.signatures.timestamp_authorities.tsa:x",
            "private key",
        ),
        (
            {"container": {"signatures": {"trust_policies": [{"name": "a"}, {"name": "a"}]}}},
            "container.signatures.trust_policies[1].name",
            "names two trust policies",
        ),
    ],
)  # fmt: skip
def test_the_section_6_3_fields_are_validated(document: dict[str, Any], path: str, expected: str) -> None:
    found = errors(document)
    assert list(found) == [path]
    assert expected in found[path]


# --- the shipped and the demo policies -----------------------------------------------------------


def test_the_shipped_policy_is_valid_and_warns_only_that_no_one_is_notified() -> None:
    policy, found = check_policy_file(str(ROOT / "policy.yaml"), CONTEXT)
    assert policy is not None
    assert found.errors == ()
    assert [w.path for w in found.warnings] == ["notifications"]


def test_the_shipped_policy_is_a_safe_start_for_a_real_account() -> None:
    text = (ROOT / "policy.yaml").read_text()
    policy = Policy.from_document(yaml.safe_load(text))
    assert not any(demo in text for demo in ("123456789012", "111122223333", "444455556666"))
    assert policy.ami.trusted_owners == ("self", "amazon")
    assert policy.ami.allowed_share_targets == ()
    assert policy.ami.approved_pipelines == ()
    assert policy.lambda_.trusted_signing_profiles == ()
    assert policy.lambda_.trusted_layer_accounts == ("self",)
    assert policy.container.trusted_registries == ("self",)
    assert [p.trusted_identities for p in policy.container.signatures.trust_policies] == [()]
    assert policy.exemptions == ()
    assert text.count("FILL IN") >= 5


def test_the_demo_policy_is_valid_without_warnings() -> None:
    policy, found = check_policy_file(str(DEMO_POLICY), CONTEXT)
    assert policy is not None
    assert found == PolicyProblems()
    assert policy.ami.allowed_share_targets == ("111122223333",)
