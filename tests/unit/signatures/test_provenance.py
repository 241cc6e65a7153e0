"""in-toto Statements and SLSA provenance: GitHub-attestation-shaped v1 and slsa-github-generator-shaped
v0.2 predicates, parsed into the builder and source repository PG.ECR.7 matches."""

from __future__ import annotations

import json
from typing import Any

import pytest

from provenance_guard.signatures.envelope import SignatureError
from provenance_guard.signatures.provenance import (
    glob_match,
    normalise_repository,
    parse_statement,
    provenance_of,
    trusted_builder,
)

DIGEST = "sha256:" + "ab" * 32


def github_v1(repository: str = "acme/app") -> dict[str, Any]:
    """What actions/attest-build-provenance writes (GitHub's workflow build type)."""
    return {
        "buildDefinition": {
            "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
            "externalParameters": {
                "workflow": {
                    "ref": "refs/heads/main",
                    "repository": f"https://github.com/{repository}",
                    "path": ".github/workflows/release.yml",
                }
            },
            "internalParameters": {"github": {"event_name": "push", "runner_environment": "github-hosted"}},
            "resolvedDependencies": [
                {"uri": f"git+https://github.com/{repository}@refs/heads/main", "digest": {"gitCommit": "c0ffee"}}
            ],
        },
        "runDetails": {
            "builder": {"id": "https://github.com/actions/runner/github-hosted"},
            "metadata": {"invocationId": f"https://github.com/{repository}/actions/runs/1/attempts/1"},
        },
    }


def generator_v02() -> dict[str, Any]:
    """What slsa-github-generator's container workflow writes."""
    return {
        "builder": {
            "id": "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.0.0"
        },
        "buildType": "https://github.com/slsa-framework/slsa-github-generator/container@v1",
        "invocation": {
            "configSource": {
                "uri": "git+https://github.com/acme/app@refs/tags/v1.2.3",
                "digest": {"sha1": "deadbeef"},
                "entryPoint": ".github/workflows/release.yml",
            }
        },
        "materials": [{"uri": "git+https://github.com/acme/app.git@refs/tags/v1.2.3", "digest": {"sha1": "deadbeef"}}],
    }


def statement(
    predicate: dict[str, Any], predicate_type: str, statement_type: str = "https://in-toto.io/Statement/v1"
) -> bytes:
    subject = [{"name": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app", "digest": {"sha256": DIGEST[7:].upper()}}]
    return json.dumps(
        {"_type": statement_type, "subject": subject, "predicateType": predicate_type, "predicate": predicate}
    ).encode()


def test_a_github_v1_attestation():
    parsed = parse_statement(statement(github_v1(), "https://slsa.dev/provenance/v1"))
    assert parsed.names(DIGEST)
    assert not parsed.names("sha256:" + "00" * 32)
    provenance = provenance_of(parsed)
    assert provenance.builder_id == "https://github.com/actions/runner/github-hosted"
    assert provenance.source_repositories == ("https://github.com/acme/app",)
    assert provenance.source_refs == ("refs/heads/main",)
    assert provenance.build_type.endswith("/workflow/v1")


def test_a_v02_generator_provenance_in_a_v01_statement():
    parsed = parse_statement(
        statement(generator_v02(), "https://slsa.dev/provenance/v0.2", "https://in-toto.io/Statement/v0.1")
    )
    provenance = provenance_of(parsed)
    assert provenance.builder_id.startswith("https://github.com/slsa-framework/slsa-github-generator/")
    assert provenance.source_repositories == ("https://github.com/acme/app",)
    assert provenance.source_refs == ("refs/tags/v1.2.3", "deadbeef")


def test_trusted_builder_rules():
    provenance = provenance_of(parse_statement(statement(github_v1(), "https://slsa.dev/provenance/v1")))
    hosted = {
        "builder_id": "https://github.com/actions/runner/github-hosted",
        "source_repositories": ["https://github.com/acme/*"],
    }
    assert trusted_builder(provenance, [hosted]) is hosted
    elsewhere = {**hosted, "source_repositories": ["https://github.com/other/*"]}
    assert trusted_builder(provenance, [elsewhere]) is None
    any_source = {"builder_id": "https://github.com/actions/runner/*"}
    assert trusted_builder(provenance, [elsewhere, any_source]) is any_source
    assert trusted_builder(provenance, [{"builder_id": "https://gitlab.com/*"}]) is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "MALFORMED_PAYLOAD"),
        (b"[]", "MALFORMED_PAYLOAD"),
        (json.dumps({"_type": "other", "subject": [], "predicateType": "x"}).encode(), "MALFORMED_PAYLOAD"),
        (
            json.dumps({"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicateType": "x"}).encode(),
            "MALFORMED_PAYLOAD",
        ),
        (
            json.dumps(
                {"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "x"}], "predicateType": "x"}
            ).encode(),
            "MALFORMED_PAYLOAD",
        ),
    ],
)
def test_malformed_statements(body, code):
    with pytest.raises(SignatureError) as raised:
        parse_statement(body)
    assert raised.value.code == code


def test_a_statement_that_is_not_provenance_or_names_no_builder():
    with pytest.raises(SignatureError) as raised:
        provenance_of(parse_statement(statement({}, "https://sigstore.dev/cosign/sign/v1")))
    assert raised.value.code == "NOT_PROVENANCE"
    with pytest.raises(SignatureError) as raised:
        provenance_of(parse_statement(statement({"buildDefinition": {}}, "https://slsa.dev/provenance/v1")))
    assert raised.value.code == "MALFORMED_PROVENANCE"


def test_globs_and_normalisation():
    assert glob_match("https://github.com/acme/*", "https://github.com/acme/app/sub")
    assert glob_match("a?c", "abc")
    assert not glob_match("a.c", "abc")
    assert not glob_match("[a]", "a")
    assert normalise_repository("git+https://github.com/acme/app.git@refs/heads/main") == "https://github.com/acme/app"
    assert normalise_repository("https://github.com/acme/app/") == "https://github.com/acme/app"
