"""policy.py: the policy's defaults, its validation (every error names its field) and its round trip."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from provenance_guard.model import Severity
from provenance_guard.policy import Policy, PolicyError
from provenance_guard.policy_fields import to_document

REPOSITORY_POLICY = Path(__file__).resolve().parents[2] / "policy.yaml"

CONTROLS_MD = Path(__file__).resolve().parents[2] / "docs" / "CONTROLS.md"


def controls_md_section_4() -> dict[str, Any]:
    """The YAML block of docs/CONTROLS.md §4, the policy's documented shape and defaults."""
    section = CONTROLS_MD.read_text().split("## 4. Policy file", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    document: dict[str, Any] = yaml.safe_load(block)
    return document


FULL_POLICY: dict[str, Any] = {
    "version": 1,
    "ami": {
        "trusted_owners": ["self", "amazon", "111122223333"],
        "approved_pipelines": ["arn:aws:imagebuilder:*:111122223333:image-pipeline/golden-*"],
        "hardening": {
            "required_components": ["arn:aws:imagebuilder:*:aws:component/stig-build-linux-high/*"],
            "required_tags": {"hardening": ["cis-l1", "cis-l2"]},
        },
        "allowed_share_targets": [
            "210987654321",
            "arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5",
            "arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5/ou-ab12-cdef3456",
        ],
        "max_age_days": 30,
        "require_deprecation_time": False,
        "require_encrypted_snapshots": False,
        "require_imdsv2": False,
        "trusted_watermarks": ["111122223333:golden-al2023"],
        "trusted_base_owners": ["amazon"],
        "max_scan_age_days": 14,
        "fix_sla": {"min_severity": "CRITICAL", "days": 7},
        "allowed_images": {"accept_audit_mode": True},
    },
    "container": {
        "trusted_registries": ["self", "public.ecr.aws/docker/library"],
        "max_age_days": 60,
        "vulnerability_thresholds": {"CRITICAL": 0, "HIGH": 3, "MEDIUM": 20},
        "signatures": {
            "trust_policies": [
                {
                    "name": "release",
                    "scopes": ["prod/*"],
                    "verification_level": "audit",
                    "trust_stores": ["signingAuthority:aws-signer"],
                    "trusted_identities": ["arn:aws:signer:us-east-1:111122223333:/signing-profiles/release"],
                }
            ],
            "cosign_public_keys": ["-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"],
            "trust_stores": {
                "signingAuthority:aws-signer": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
            },
            "keyless_identities": [
                {
                    "issuer": "https://token.actions.githubusercontent.com",
                    "subject": "https://github.com/acme/*/.github/workflows/release.yml@refs/heads/main",
                }
            ],
            "timestamp_authorities": {"tsa:digicert": "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"},
        },
        "allowed_mutable_tags": ["latest", "dev-*"],
        "replicated_repositories": [
            {"repositories": ["dr/*", "shared-base"], "source": "111122223333.dkr.ecr.us-west-2.amazonaws.com"}
        ],
        "provenance": {
            "trusted_builders": [
                {
                    "builder_id": "https://github.com/actions/runner/github-hosted",
                    "source_repositories": ["git+https://github.com/acme/*"],
                }
            ]
        },
    },
    "lambda": {
        "trusted_signing_profiles": ["arn:aws:signer:us-east-1:111122223333:/signing-profiles/release"],
        "trusted_layer_accounts": ["self", "111122223333"],
        "require_signed_layers": True,
        "runtime_deprecation_warning_days": 30,
    },
    "packages": {
        "allowed_external_connections": ["public:pypi"],
        "trusted_domain_owners": ["self", "111122223333"],
        "internal_namespaces": ["npm:@acme", "pypi:acme-*", "maven:com.acme"],
        "allowed_principals": ["arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5"],
    },
    "exemptions": [
        {
            "controls": ["PG.AMI.3"],
            "resources": ["arn:aws:ec2:*::image/ami-0legacy*"],
            "tags": {"exemption": ["legacy"]},
            "reason": "legacy fleet, replacement tracked in SEC-123",
            "expires": "2030-06-30",
        }
    ],
    "remediation": {"PG.AMI.3": "on-demand", "PG.ECR.1": "automatic", "PG.LAMBDA.1": "off"},
    "notifications": {
        "min_severity": "CRITICAL",
        "emails": ["security@example.com"],
        "chat": [
            {"platform": "slack", "workspace_id": "T07EA123LEP", "channel_id": "C07EZ1ABC23"},
            {
                "platform": "teams",
                "tenant_id": "a1b2c3d4-0000-4000-8000-1234567890ab",
                "team_id": "74361522-da01-538d-aa2e-ac7918c6bb92",
                "channel_id": "19%3aabcdef0123456789%40thread.tacv2",
            },
        ],
    },
}


def test_defaults_equal_controls_md_section_4() -> None:
    documented = controls_md_section_4()
    # §4 shows one trust policy as an example of the shape; the shipped default has none (nothing is
    # trusted until the security team names identities), so signatures are compared separately.
    documented_trust_policy = documented["container"]["signatures"].pop("trust_policies")
    defaults = to_document(Policy())
    assert defaults["container"]["signatures"].pop("trust_policies") == []
    assert defaults == documented
    example = Policy.from_document({"container": {"signatures": {"trust_policies": documented_trust_policy}}})
    (release,) = example.container.signatures.trust_policies
    assert release.name == "release"
    assert release.scopes == ("*",)
    assert release.verification_level == "strict"
    assert release.trust_stores == ("signingAuthority:aws-signer",)


def test_defaults_as_typed_values() -> None:
    policy = Policy()
    assert policy.version == 1
    assert policy.ami.trusted_owners == ("self", "amazon")
    assert policy.ami.max_age_days == 90
    assert policy.ami.require_deprecation_time is True
    assert policy.container.vulnerability_thresholds == {Severity.CRITICAL: 0, Severity.HIGH: 0}
    assert policy.lambda_.trusted_layer_accounts == ("self",)
    assert policy.notifications.min_severity is Severity.HIGH
    assert policy.exemptions == ()


@pytest.mark.parametrize("document", [{}, {"version": 1}, {"ami": {}, "notifications": {}}])
def test_an_empty_or_partial_document_takes_the_defaults(document: dict[str, Any]) -> None:
    assert Policy.from_document(document) == Policy()


def test_full_document_is_read_into_typed_values() -> None:
    policy = Policy.from_document(FULL_POLICY)
    assert policy.ami.trusted_owners == ("self", "amazon", "111122223333")
    assert policy.ami.hardening.required_tags == {"hardening": ("cis-l1", "cis-l2")}
    assert policy.container.vulnerability_thresholds == {
        Severity.CRITICAL: 0,
        Severity.HIGH: 3,
        Severity.MEDIUM: 20,
    }
    assert policy.container.signatures.trust_policies[0].verification_level == "audit"
    assert policy.lambda_.require_signed_layers is True
    assert policy.exemptions[0].expires == date(2030, 6, 30)
    assert policy.exemptions[0].tags == {"exemption": ("legacy",)}
    assert policy.notifications.min_severity is Severity.CRITICAL


def test_to_document_round_trips_through_json() -> None:
    policy = Policy.from_document(FULL_POLICY)
    document = to_document(policy)
    assert document == FULL_POLICY
    assert Policy.from_document(json.loads(json.dumps(document))) == policy


def test_default_policy_round_trips() -> None:
    assert Policy.from_document(json.loads(json.dumps(to_document(Policy())))) == Policy()


def test_a_yaml_date_is_accepted_for_expires() -> None:
    document = yaml.safe_load("exemptions:\n  - {reason: r, expires: 2030-01-31, resources: ['*']}\n")
    assert Policy.from_document(document).exemptions[0].expires == date(2030, 1, 31)


def _exemption(**fields: Any) -> dict[str, Any]:
    return {"exemptions": [{"reason": "r", "expires": "2030-01-01", "resources": ["*"], **fields}]}


REPL_SOURCE = "111122223333.dkr.ecr.us-west-2.amazonaws.com"
ERRORS = [
    pytest.param([1, 2], "", "expected a mapping", id="not-a-mapping"),
    pytest.param({"amis": {}}, "amis", "unknown key", id="unknown-top-level-key"),
    pytest.param(
        {"ami": {"hardening": {"required_component": []}}},
        "ami.hardening.required_component",
        "unknown key",
        id="unknown-nested-key",
    ),
    pytest.param(
        {"container": {"signatures": {"trust_policies": [{"name": "x", "scope": ["*"]}]}}},
        "container.signatures.trust_policies[0].scope",
        "unknown key",
        id="unknown-key-in-list-item",
    ),
    pytest.param({"version": 2}, "version", "must be one of 1", id="bad-version"),
    pytest.param({"ami": {"max_age_days": "90"}}, "ami.max_age_days", "whole number", id="str-for-int"),
    pytest.param({"ami": {"max_age_days": 1.5}}, "ami.max_age_days", "whole number", id="float-for-int"),
    pytest.param({"ami": {"max_age_days": True}}, "ami.max_age_days", "whole number", id="bool-for-int"),
    pytest.param({"ami": {"require_imdsv2": "yes"}}, "ami.require_imdsv2", "true or false", id="str-for-bool"),
    pytest.param({"ami": {"trusted_owners": "self"}}, "ami.trusted_owners", "expected a list", id="str-for-list"),
    pytest.param(
        {"ami": {"trusted_owners": ["self", 7]}},
        "ami.trusted_owners[1]",
        "non-empty string",
        id="int-in-list",
    ),
    pytest.param({"ami": {"trusted_owners": [""]}}, "ami.trusted_owners[0]", "non-empty string", id="empty-string"),
    pytest.param({"ami": []}, "ami", "expected a mapping", id="list-for-section"),
    pytest.param(
        {"ami": {"hardening": {"required_tags": {"hardening": "cis"}}}},
        "ami.hardening.required_tags.hardening",
        "expected a list",
        id="str-for-tag-values",
    ),
    pytest.param(
        {"notifications": {"min_severity": "SEVERE"}},
        "notifications.min_severity",
        "must be one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL",
        id="bad-enum",
    ),
    pytest.param(
        {"container": {"vulnerability_thresholds": {"URGENT": 0}}},
        "container.vulnerability_thresholds.URGENT",
        "must be one of",
        id="bad-enum-key",
    ),
    pytest.param(
        {"container": {"signatures": {"trust_policies": [{"name": "x", "verification_level": "lenient"}]}}},
        "container.signatures.trust_policies[0].verification_level",
        "must be one of 'strict', 'permissive', 'audit'",
        id="bad-literal",
    ),
    pytest.param(_exemption(expires="next tuesday"), "exemptions[0].expires", "YYYY-MM-DD", id="bad-date"),
    pytest.param(_exemption(expires="2030-02-30"), "exemptions[0].expires", "YYYY-MM-DD", id="impossible-date"),
    pytest.param(
        {"exemptions": [{"expires": "2030-01-01", "resources": ["*"]}]},
        "exemptions[0].reason",
        "is required",
        id="missing-reason",
    ),
    pytest.param(
        {"exemptions": [{"reason": "r", "resources": ["*"]}]},
        "exemptions[0].expires",
        "is required",
        id="missing-expires",
    ),
    pytest.param(
        {"container": {"signatures": {"trust_policies": [{"scopes": ["*"]}]}}},
        "container.signatures.trust_policies[0].name",
        "is required",
        id="missing-trust-policy-name",
    ),
    pytest.param(
        {"ami": {"trusted_owners": ["self", "12345"]}},
        "ami.trusted_owners[1]",
        "neither a 12-digit account id, nor one of self, amazon, aws-marketplace",
        id="bad-account-id",
    ),
    pytest.param(
        {"ami": {"trusted_owners": ["Amazon"]}},
        "ami.trusted_owners[0]",
        "neither a 12-digit account id",
        id="alias-is-case-sensitive",
    ),
    pytest.param(
        {"ami": {"allowed_share_targets": ["111122223333", "o-a1b2c3d4e5"]}},
        "ami.allowed_share_targets[1]",
        "nor an organization ARN, nor an OU ARN",
        id="bad-share-target",
    ),
    pytest.param(
        {"ami": {"allowed_share_targets": ["arn:aws:iam::111122223333:root"]}},
        "ami.allowed_share_targets[0]",
        "service 'iam' is not organizations",
        id="share-target-not-an-org-arn",
    ),
    pytest.param({"ami": {"max_age_days": 0}}, "ami.max_age_days", "positive number of days", id="zero-days"),
    pytest.param(
        {"container": {"max_age_days": -1}},
        "container.max_age_days",
        "positive number of days",
        id="negative-days",
    ),
    pytest.param(
        {"container": {"vulnerability_thresholds": {"CRITICAL": -1}}},
        "container.vulnerability_thresholds.CRITICAL",
        "must be 0 or more, got -1",
        id="negative-threshold",
    ),
    pytest.param(
        {"container": {"trusted_registries": ["self", "https://quay.io"]}},
        "container.trusted_registries[1]",
        "registry host[/path] prefix",
        id="registry-url-not-host",
    ),
    pytest.param(
        {"container": {"allowed_mutable_tags": "latest"}},
        "container.allowed_mutable_tags",
        "expected a list",
        id="mutable-tags-not-a-list",
    ),
    pytest.param(
        {"container": {"replicated_repositories": [{"repositories": ["prod/*"], "source": "quay.io"}]}},
        "container.replicated_repositories[0].source",
        "not an ECR registry host",
        id="replication-source-not-ecr",
    ),
    pytest.param(
        {"container": {"replicated_repositories": [{"repositories": ["prod/*", "Prod App"], "source": REPL_SOURCE}]}},
        "container.replicated_repositories[0].repositories[1]",
        "not a repository name pattern",
        id="replicated-repository-pattern",
    ),
    pytest.param(
        {"container": {"replicated_repositories": [{"repositories": [], "source": REPL_SOURCE}]}},
        "container.replicated_repositories[0].repositories",
        "at least one",
        id="replicated-repositories-empty",
    ),
    pytest.param(
        {"container": {"replicated_repositories": [{"source": REPL_SOURCE}]}},
        "container.replicated_repositories[0].repositories",
        "is required",
        id="replicated-repositories-missing",
    ),
    pytest.param(
        {"notifications": {"emails": ["security@example.com", "not-an-address"]}},
        "notifications.emails[1]",
        "not an e-mail address",
        id="bad-email",
    ),
]


@pytest.mark.parametrize(("document", "path", "problem"), ERRORS)
def test_every_error_names_the_exact_field(document: Any, path: str, problem: str) -> None:
    with pytest.raises(PolicyError) as raised:
        Policy.from_document(document)
    assert raised.value.path == path
    assert problem in raised.value.problem
    assert str(raised.value).startswith(f"{path or '<policy>'}: ")


def test_unknown_key_error_lists_the_allowed_keys() -> None:
    with pytest.raises(PolicyError) as raised:
        Policy.from_document({"notifications": {"email": []}})
    assert raised.value.path == "notifications.email"
    assert "allowed here: chat, emails, min_severity" in raised.value.problem


def test_valid_share_targets_are_accepted() -> None:
    targets = FULL_POLICY["ami"]["allowed_share_targets"]
    policy = Policy.from_document({"ami": {"allowed_share_targets": targets}})
    assert policy.ami.allowed_share_targets == tuple(targets)


@pytest.mark.skipif(not REPOSITORY_POLICY.exists(), reason="the repository has no policy.yaml yet")
def test_the_repository_policy_is_valid() -> None:
    document = yaml.safe_load(REPOSITORY_POLICY.read_text()) or {}
    policy = Policy.from_document(document)
    assert Policy.from_document(json.loads(json.dumps(to_document(policy)))) == policy


# --- bugs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [True, 1.0])
def test_version_must_be_the_integer_1(version: object) -> None:
    with pytest.raises(PolicyError) as raised:
        Policy.from_document({"version": version})
    assert raised.value.path == "version"


def test_expires_given_as_a_yaml_timestamp_is_a_date_or_an_error() -> None:
    document = yaml.safe_load("exemptions:\n  - {reason: r, expires: 2030-01-01T00:00:00Z, resources: ['*']}\n")
    assert isinstance(document["exemptions"][0]["expires"], datetime)  # what PyYAML produces
    refused: PolicyError | None = None
    try:
        policy = Policy.from_document(document)
    except PolicyError as error:
        refused = error
    if refused is not None:
        assert refused.path == "exemptions[0].expires"
        return
    assert type(policy.exemptions[0].expires) is date
    assert Policy.from_document(json.loads(json.dumps(to_document(policy)))) == policy


def test_negative_runtime_deprecation_warning_days_is_an_error() -> None:
    with pytest.raises(PolicyError) as raised:
        Policy.from_document({"lambda": {"runtime_deprecation_warning_days": -1}})
    assert raised.value.path == "lambda.runtime_deprecation_warning_days"


def test_trusted_layer_accounts_must_be_account_ids_or_self() -> None:
    with pytest.raises(PolicyError) as raised:
        Policy.from_document({"lambda": {"trusted_layer_accounts": ["self", "acme-prod"]}})
    assert raised.value.path == "lambda.trusted_layer_accounts[1]"
