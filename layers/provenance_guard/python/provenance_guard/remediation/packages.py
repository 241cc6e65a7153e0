"""Remediation of CodeArtifact domains: PG.PKG.2 blocks external upstreams for each internal namespace that
lets them in. For a namespace no package group of its own governs, it creates the most specific group that
matches exactly the namespace's packages (`/npm/acme/*` for `npm:@acme`, `/maven/com.acme/*` for
`maven:com.acme`) and blocks EXTERNAL_UPSTREAM on it; a group that already governs exactly the namespace is
blocked instead, as is each narrower group inside the namespace that lets external versions in.

It never blocks a group that also matches packages outside the namespace (the root group `/*`, `/npm/*`, or
`/pypi//acme~` for `pypi:acme-*`, which also matches the public `acme`): that could stop public packages the
builds need. Such a namespace or group is left for a person and named in the change. PUBLISH and
INTERNAL_UPSTREAM are left as they are; versions already in the domain stay. Reversible:
`update-package-group-origin-configuration` back to the mode recorded in the Note, `delete-package-group`
for a group it created."""

from __future__ import annotations

from dataclasses import dataclass

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.codeartifact_domain import DomainSnapshot
from provenance_guard.collect.codeartifact_groups import (
    EXACT,
    PREFIX,
    Component,
    GroupPattern,
    PackageGroup,
    PatternError,
    governing_groups,
    parse_pattern,
)
from provenance_guard.collect.codeartifact_names import (
    NamespaceSet,
    glob_match,
    has_wildcard,
    literal_prefix,
    namespace_sets,
    word_character,
)
from provenance_guard.controls.packages import blocks_external
from provenance_guard.controls.registry import EvaluationContext
from provenance_guard.model import ResourceRef, Verdict
from provenance_guard.policy import Policy
from provenance_guard.remediation.base import Change, RemediationAction, Write

CREATE_PACKAGE_GROUP = "codeartifact:CreatePackageGroup"
UPDATE_ORIGIN_CONFIGURATION = "codeartifact:UpdatePackageGroupOriginConfiguration"
PACKAGE_GROUP_ARNS = "arn:{partition}:codeartifact:{region}:{account}:package-group/*"
BLOCK_EXTERNAL = {"EXTERNAL_UPSTREAM": "BLOCK"}


@dataclass(frozen=True)
class Step:
    group: str
    """The package group's pattern."""
    create: bool
    mode: str
    """Its EXTERNAL_UPSTREAM mode before (`none` for a group this step creates)."""
    namespace: str
    """The policy entry it protects."""


def tightest_pattern(claimed: NamespaceSet) -> GroupPattern | None:
    """The most specific package group pattern matching every package of the entry and as few others as a
    pattern can; None when only a group spanning a whole format would (a namespace glob like `ac*me`)."""
    namespace, name = claimed.namespace, claimed.name
    if has_wildcard(namespace):
        candidates = [f"/{claimed.format}/{p}~" for p in _prefixes(namespace)]
    elif not has_wildcard(name):
        candidates = [f"/{claimed.format}/{namespace}/{name}$"]
    else:
        candidates = [f"/{claimed.format}/{namespace}/{p}~" for p in _prefixes(name)]
        candidates.append(f"/{claimed.format}/{namespace}/*")
    for text in candidates:
        try:
            pattern = parse_pattern(text)
        except PatternError:
            continue
        if pattern.covers(claimed):
            return pattern
    return None


def _prefixes(glob: str) -> list[str]:
    """`~` prefixes to try for a glob: its literal start, then that start without trailing separators
    (`acme-*` -> `acme-`, `acme`); a `~` prefix ends at a word boundary, so only the second covers it."""
    literal = literal_prefix(glob)
    trimmed = literal
    while trimmed and not word_character(trimmed[-1]):
        trimmed = trimmed[:-1]
    return [p for p in dict.fromkeys((literal, trimmed)) if p]


def within(pattern: GroupPattern, claimed: NamespaceSet) -> bool:
    """Every package the pattern matches is claimed by the entry (so blocking it touches no public package)."""
    return (
        pattern.format == claimed.format
        and _component_within(pattern.namespace, claimed.namespace)
        and _component_within(pattern.name, claimed.name)
    )


def _component_within(component: Component, glob: str) -> bool:
    if not glob.strip("*"):
        return True
    if component.how == EXACT:
        return glob_match(glob, component.value)
    literal = literal_prefix(glob)
    return component.how == PREFIX and glob[len(literal) :] == "*" and component.value.startswith(literal)


def _steps(claimed: NamespaceSet, groups: tuple[PackageGroup, ...]) -> tuple[list[Step], list[str]]:
    """What blocks the entry's external upstreams, and what this action must leave to a person."""
    steps: list[Step] = []
    left: list[str] = []
    base, narrower = governing_groups(groups, claimed)
    if base is None or not blocks_external(base, groups)[0]:
        tightest = tightest_pattern(claimed)
        if base is not None and within(base.pattern, claimed):
            steps.append(Step(base.text, False, _mode(base), claimed.entry))
        elif tightest is None or not within(tightest, claimed):
            shown = f" ({tightest.text} would also match other packages)" if tightest else ""
            left.append(f"{claimed.entry}: no package group pattern matches only this namespace{shown}")
        elif base is not None and base.pattern.rank >= tightest.rank:
            left.append(f"{claimed.entry}: {base.text} is more specific than any group this action can create")
        else:
            steps.append(Step(tightest.text, True, "none", claimed.entry))
    for group in narrower:
        if blocks_external(group, groups)[0]:
            continue
        if within(group.pattern, claimed):
            steps.append(Step(group.text, False, _mode(group), claimed.entry))
        else:
            left.append(f"{claimed.entry}: {group.text} also governs packages outside the namespace")
    return steps, left


def _mode(group: PackageGroup) -> str:
    return group.restrictions["EXTERNAL_UPSTREAM"].mode


def plan_block_external(
    domain: DomainSnapshot, verdict: Verdict, policy: Policy, ctx: EvaluationContext
) -> Change | None:
    packages = policy.packages
    steps: list[Step] = []
    left: list[str] = []
    for claimed in namespace_sets(packages.internal_namespaces, packages.namespaces()):
        found, unsafe = _steps(claimed, domain.groups)
        steps.extend(s for s in found if s.group not in {t.group for t in steps})
        left.extend(unsafe)
    if not steps:
        return None
    created = [s.group for s in steps if s.create]
    blocked = [s.group for s in steps]
    summary = f"block external upstreams on package groups {', '.join(blocked)}"
    if created:
        summary += f" (creating {', '.join(created)})"
    if left:
        summary += f"; left for a person: {'; '.join(left)}"
    where = f"--domain {domain.ref.name} --domain-owner {domain.ref.account}"
    calls = [f"aws codeartifact create-package-group {where} --package-group '{g}'" for g in created]
    calls += [
        f"aws codeartifact update-package-group-origin-configuration {where} --package-group '{g}' "
        "--restrictions EXTERNAL_UPSTREAM=BLOCK"
        for g in blocked
    ]
    return Change(
        summary=summary,
        before=", ".join(f"{s.group} EXTERNAL_UPSTREAM {s.mode}" for s in steps),
        after=", ".join(f"{s.group} EXTERNAL_UPSTREAM BLOCK" for s in steps),
        call=" && ".join(calls),
        parameters={"steps": [(s.group, s.create, s.namespace) for s in steps]},
    )


def apply_block_external(clients: ClientFactory, ref: ResourceRef, change: Change) -> None:
    codeartifact = clients.client("codeartifact", ref.region)
    where = {"domain": ref.name, "domainOwner": ref.account}
    for group, create, namespace in change.parameters["steps"]:
        if create:
            description = f"Internal namespace {namespace}: created by provenance-guard (PG.PKG.2 remediation)"
            codeartifact.create_package_group(**where, packageGroup=group, description=description)
        codeartifact.update_package_group_origin_configuration(**where, packageGroup=group, restrictions=BLOCK_EXTERNAL)


ACTIONS = (
    RemediationAction(
        "PG.PKG.2",
        "Block external upstreams for internal namespaces",
        (
            Write(CREATE_PACKAGE_GROUP),
            Write(UPDATE_ORIGIN_CONFIGURATION, (PACKAGE_GROUP_ARNS,)),
        ),
        plan_block_external,
        apply_block_external,
    ),
)
