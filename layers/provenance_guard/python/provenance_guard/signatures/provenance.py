"""in-toto Statements (v0.1 and v1) and SLSA build provenance (v1 and v0.2) as typed values, for the
PG.ECR.7 control to match against `container.provenance.trusted_builders` ({builder_id: glob,
source_repositories: [globs]}). Pure Python (no `cryptography`): the signature over the statement is
verified before it is parsed here.

Where the builder and the source repository are:

- SLSA v1 (`https://slsa.dev/provenance/v1`): `runDetails.builder.id`; the source is
  `buildDefinition.externalParameters.workflow.repository` (GitHub's workflow build type, which GitHub
  artifact attestations use, with builder ids `https://github.com/actions/runner/github-hosted` or
  `/self-hosted`), else the `git+` URIs of `buildDefinition.resolvedDependencies`;
- SLSA v0.2 (`https://slsa.dev/provenance/v0.2`): `builder.id`; the source is
  `invocation.configSource.uri` (slsa-github-generator writes `git+https://github.com/o/r@refs/...`),
  else the `git+` URIs of `materials`.

Source URIs are normalised to `https://host/owner/repo`: no `git+` prefix, `@ref` suffix or `.git`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provenance_guard.signatures.envelope import SignatureError

STATEMENT_TYPES = frozenset({"https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1"})
SLSA_V1 = "https://slsa.dev/provenance/v1"
SLSA_V02 = "https://slsa.dev/provenance/v0.2"
PROVENANCE_TYPES = frozenset({SLSA_V1, SLSA_V02})
MAX_SUBJECTS = 1024
MAX_STATEMENT = 4 * 1024 * 1024


@dataclass(frozen=True)
class StatementSubject:
    name: str
    digests: Mapping[str, str]
    """Algorithm -> lower-case hex, as the statement names them."""


@dataclass(frozen=True)
class Statement:
    statement_type: str
    subjects: tuple[StatementSubject, ...]
    predicate_type: str
    predicate: Mapping[str, Any]

    def names(self, digest: str) -> bool:
        """Whether a subject carries this `algorithm:hex` digest."""
        algorithm, _, value = digest.partition(":")
        return any(s.digests.get(algorithm) == value.lower() for s in self.subjects)


@dataclass(frozen=True)
class Provenance:
    """What a trusted-builder rule is matched against."""

    predicate_type: str
    builder_id: str
    source_repositories: tuple[str, ...]
    """Normalised `https://host/owner/repo` URIs; first the one the build was defined from."""
    source_refs: tuple[str, ...]
    """Git refs or commits the sources name (`refs/heads/main`, a commit), for evidence."""
    build_type: str


def parse_statement(body: bytes) -> Statement:
    """An in-toto Statement (the DSSE payload, `application/vnd.in-toto+json`)."""
    if len(body) > MAX_STATEMENT:
        raise SignatureError("MALFORMED_PAYLOAD", f"the statement is larger than {MAX_STATEMENT} bytes")
    try:
        document = json.loads(body)
    except ValueError:
        raise SignatureError("MALFORMED_PAYLOAD", "the statement is not JSON") from None
    if not isinstance(document, dict):
        raise SignatureError("MALFORMED_PAYLOAD", "the statement is not a JSON object")
    statement_type = document.get("_type")
    if statement_type not in STATEMENT_TYPES:
        raise SignatureError("MALFORMED_PAYLOAD", f"statement type {str(statement_type)[:100]!r} is not in-toto's")
    predicate_type, predicate = document.get("predicateType"), document.get("predicate", {})
    if not isinstance(predicate_type, str) or not isinstance(predicate, dict):
        raise SignatureError(
            "MALFORMED_PAYLOAD", "the statement has no predicateType or its predicate is not an object"
        )
    return Statement(str(statement_type), _subjects(document.get("subject")), predicate_type, predicate)


def provenance_of(statement: Statement) -> Provenance:
    """The builder and sources of an SLSA provenance statement."""
    if statement.predicate_type not in PROVENANCE_TYPES:
        why = f"predicate {statement.predicate_type[:200]} is not SLSA provenance (v1 or v0.2)"
        raise SignatureError("NOT_PROVENANCE", why)
    predicate = statement.predicate
    if statement.predicate_type == SLSA_V1:
        definition = _object(predicate.get("buildDefinition"))
        builder = _object(_object(predicate.get("runDetails")).get("builder")).get("id")
        workflow = _object(_object(definition.get("externalParameters")).get("workflow"))
        declared = [workflow.get("repository")]
        dependencies = [d.get("uri") for d in _objects(definition.get("resolvedDependencies"))]
        refs = [workflow.get("ref")] + [
            _ref(d.get("uri")) or _commit(d) for d in _objects(definition.get("resolvedDependencies"))
        ]
        build_type = definition.get("buildType")
    else:
        builder = _object(predicate.get("builder")).get("id")
        source = _object(_object(predicate.get("invocation")).get("configSource"))
        declared = [source.get("uri")]
        dependencies = [m.get("uri") for m in _objects(predicate.get("materials"))]
        refs = [_ref(source.get("uri")), _commit(source)]
        build_type = predicate.get("buildType")
    if not isinstance(builder, str) or not builder:
        raise SignatureError("MALFORMED_PROVENANCE", "the provenance names no builder id")
    repositories = [normalise_repository(u) for u in [*declared, *(u for u in dependencies if _is_git(u))]]
    return Provenance(
        predicate_type=statement.predicate_type,
        builder_id=builder,
        source_repositories=_unique(r for r in repositories if r),
        source_refs=_unique(r for r in refs if isinstance(r, str) and r),
        build_type=build_type if isinstance(build_type, str) else "",
    )


def trusted_builder(provenance: Provenance, rules: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The first `trusted_builders` rule whose builder_id glob matches and, when it lists
    source_repositories, one of whose globs matches the repository the build was defined from."""
    for rule in rules:
        if not glob_match(str(rule.get("builder_id", "")), provenance.builder_id):
            continue
        patterns = list(rule.get("source_repositories") or [])
        if not patterns:
            return rule
        source = provenance.source_repositories[:1]
        if any(glob_match(str(p), s) for p in patterns for s in source):
            return rule
    return None


def glob_match(pattern: str, value: str) -> bool:
    """`*` matches any run of characters (`/` included), `?` one character; nothing else is special."""
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(expression, value, flags=re.DOTALL) is not None


def normalise_repository(uri: object) -> str:
    if not isinstance(uri, str) or not uri:
        return ""
    uri = uri.removeprefix("git+")
    uri = uri.split("@", 1)[0] if "://" in uri and "@" in uri.split("://", 1)[1] else uri
    return uri.removesuffix("/").removesuffix(".git")


def _subjects(value: object) -> tuple[StatementSubject, ...]:
    if not isinstance(value, list) or not value:
        raise SignatureError("MALFORMED_PAYLOAD", "the statement has no subject")
    if len(value) > MAX_SUBJECTS:
        raise SignatureError("MALFORMED_PAYLOAD", f"the statement has more than {MAX_SUBJECTS} subjects")
    subjects = []
    for entry in value:
        digests = entry.get("digest") if isinstance(entry, dict) else None
        if not isinstance(digests, dict) or not all(isinstance(v, str) for v in digests.values()):
            raise SignatureError("MALFORMED_PAYLOAD", "a statement subject has no digest map")
        name = entry.get("name", "")
        subjects.append(StatementSubject(str(name), {str(k): v.lower() for k, v in digests.items()}))
    return tuple(subjects)


def _object(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _objects(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _is_git(uri: object) -> bool:
    return isinstance(uri, str) and uri.startswith("git+")


def _ref(uri: object) -> str | None:
    if not _is_git(uri) or "@" not in str(uri):
        return None
    return str(uri).rsplit("@", 1)[1]


def _commit(entry: Mapping[str, Any]) -> str | None:
    digest = _object(entry.get("digest"))
    value = digest.get("gitCommit") or digest.get("sha1")
    return value if isinstance(value, str) else None


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
