"""Who a CodeArtifact domain or repository resource policy grants access to (PG.PKG.4): pure, on the policy's
JSON document (IAM JSON policy reference, "Principal", "NotPrincipal", "Condition" and the global condition
keys `aws:PrincipalAccount`, `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:PrincipalArn`,
`aws:SourceAccount`, `aws:SourceOrgID`, `aws:SourceOrgPaths`, `aws:SourceArn`).

Every `Allow` statement is read; each principal it names must be trusted: the account itself, an account of
`packages.allowed_principals`, or any principal (`*`, another account) narrowed by a condition whose values
are all trusted (an account, the account's own organization, an organization or OU of the policy). A
condition narrows only with an operator that is false when the key is absent: `String(Equals|Like)`,
`StringEqualsIgnoreCase`, `Arn(Equals|Like)`, and their `ForAnyValue:` forms; never `...IfExists`,
`ForAllValues:` (true for an absent key) or a negated operator. Conditions of different keys all apply, so
one trusted narrowing key is enough; the values of one key are alternatives, so all of them must be trusted.
A service principal is trusted only when narrowed by a source key (`aws:SourceAccount`...). `NotPrincipal`
with `Allow` grants to everyone it does not name. `Deny` statements are not credited: a grant is judged as
written, so write the `Allow` narrowly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

NARROWING_OPERATORS = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"})
PRINCIPAL_KEYS = frozenset({"aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths", "aws:principalarn"})
SOURCE_KEYS = frozenset({"aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths", "aws:sourcearn"})
ACCOUNT = re.compile(r"^\d{12}$")
IAM_ARN = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):")
ORGANIZATION_ARN = re.compile(r"^arn:aws[a-z-]*:organizations::\d{12}:organization/(o-[a-z0-9]{10,32})$")
OU_ARN = re.compile(r"^arn:aws[a-z-]*:organizations::\d{12}:ou/(o-[a-z0-9]{10,32})/(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$")


class PolicyDocumentError(ValueError):
    """The document is not an IAM policy this product can read."""


@dataclass(frozen=True)
class Trust:
    """Whom a resource policy may grant to."""

    account: str
    organization: str | None
    """The account's own organization id, when known."""
    accounts: frozenset[str]
    organizations: frozenset[str]
    """Organization ids of `packages.allowed_principals` organization ARNs."""
    units: frozenset[str]
    """OU ids of `packages.allowed_principals` OU ARNs."""

    @classmethod
    def of(cls, account: str, organization: str | None, allowed_principals: tuple[str, ...]) -> Trust:
        accounts = {p for p in allowed_principals if ACCOUNT.match(p)}
        organizations = {m[1] for p in allowed_principals if (m := ORGANIZATION_ARN.match(p))}
        units = {m[2] for p in allowed_principals if (m := OU_ARN.match(p))}
        return cls(account, organization, frozenset(accounts), frozenset(organizations), frozenset(units))

    def account_trusted(self, account: str) -> bool:
        return account == self.account or account in self.accounts

    def organization_trusted(self, organization: str) -> bool:
        return organization == self.organization or organization in self.organizations

    def value_trusted(self, key: str, value: str) -> bool:
        """Whether a narrowing condition value of `key` names only trusted principals."""
        if key in ("aws:principalaccount", "aws:sourceaccount"):
            return bool(ACCOUNT.match(value)) and self.account_trusted(value)
        if key in ("aws:principalorgid", "aws:sourceorgid"):
            return "*" not in value and "?" not in value and self.organization_trusted(value)
        if key in ("aws:principalorgpaths", "aws:sourceorgpaths"):
            return self._path_trusted(value)
        account = _arn_account(value)  # aws:PrincipalArn, aws:SourceArn
        return account is not None and self.account_trusted(account)

    def _path_trusted(self, path: str) -> bool:
        """`o-<org>/r-<root>/ou-<id>/.../`, perhaps ending in a wildcard: inside a trusted organization or OU."""
        fixed = re.split(r"[*?]", path, maxsplit=1)[0]
        segments = fixed.split("/")
        complete = segments if fixed.endswith("/") or fixed == path else segments[:-1]
        if not complete or not complete[0].startswith("o-"):
            return False
        return self.organization_trusted(complete[0]) or any(s in self.units for s in complete[1:])


def _arn_account(value: str) -> str | None:
    parts = value.split(":")
    return parts[4] if len(parts) >= 6 and parts[0] == "arn" and ACCOUNT.match(parts[4]) else None


@dataclass(frozen=True)
class Grant:
    """One principal an `Allow` statement names, and whether (and why) it is trusted."""

    statement: str
    principal: str
    trusted: bool
    why: str


def grants(document: str, trust: Trust) -> list[Grant]:
    """Every principal the `Allow` statements of `document` grant to; `PolicyDocumentError` if unreadable."""
    try:
        policy = json.loads(document)
    except json.JSONDecodeError as error:
        raise PolicyDocumentError(f"the policy is not JSON ({error.msg} at {error.pos})") from None
    if not isinstance(policy, Mapping):
        raise PolicyDocumentError("the policy is not a JSON object")
    statements = policy.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        raise PolicyDocumentError("the policy has no Statement list")
    found: list[Grant] = []
    for index, statement in enumerate(statements):
        if not isinstance(statement, Mapping):
            raise PolicyDocumentError(f"statement {index} is not an object")
        if statement.get("Effect") == "Allow":
            found.extend(_statement_grants(statement, str(statement.get("Sid") or f"#{index}"), trust))
    return found


def _statement_grants(statement: Mapping[str, Any], label: str, trust: Trust) -> Iterator[Grant]:
    narrowing = _narrowing(statement.get("Condition"))
    if "NotPrincipal" in statement:
        yield Grant(label, "NotPrincipal", False, "Allow with NotPrincipal grants to every principal it does not name")
        return
    for kind, principal in _principals(statement.get("Principal")):
        yield _judge(label, kind, principal, narrowing, trust)


def _principals(value: Any) -> Iterator[tuple[str, str]]:
    if value is None:
        return
    if value == "*":
        yield "AWS", "*"
        return
    if not isinstance(value, Mapping):
        raise PolicyDocumentError(f"Principal {value!r} is neither '*' nor an object")
    for kind, names in value.items():
        for name in [names] if isinstance(names, str) else names if isinstance(names, list) else []:
            yield str(kind), str(name)


def _narrowing(condition: Any) -> dict[str, list[str]]:
    """Condition key (lower case) -> the values of a narrowing operator on it."""
    if condition is None:
        return {}
    if not isinstance(condition, Mapping):
        raise PolicyDocumentError("Condition is not an object")
    narrowing: dict[str, list[str]] = {}
    for operator, keys in condition.items():
        bare = str(operator).lower().removeprefix("foranyvalue:")
        if bare not in NARROWING_OPERATORS or not isinstance(keys, Mapping):
            continue
        for key, values in keys.items():
            listed = (
                [values] if isinstance(values, str) else [str(v) for v in values] if isinstance(values, list) else []
            )
            narrowing.setdefault(str(key).lower(), []).extend(listed)
    return narrowing


def _narrowed_by(narrowing: Mapping[str, list[str]], keys: frozenset[str], trust: Trust) -> str | None:
    """The condition that keeps a statement to trusted principals: `key in [values]`, or None."""
    for key in sorted(keys & narrowing.keys()):
        values = narrowing[key]
        if values and all(trust.value_trusted(key, value) for value in values):
            return f"{key} in [{', '.join(values)}]"
    return None


def _judge(label: str, kind: str, principal: str, narrowing: Mapping[str, list[str]], trust: Trust) -> Grant:
    name = f"{kind}:{principal}"
    if kind == "Service":
        condition = _narrowed_by(narrowing, SOURCE_KEYS, trust)
        if condition:
            return Grant(label, name, True, f"service principal narrowed by {condition}")
        return Grant(label, name, False, "a service principal without a trusted aws:SourceAccount or aws:SourceOrgID")
    if kind != "AWS":
        return Grant(label, name, False, f"{kind} principals are identities outside AWS accounts")
    account = principal if ACCOUNT.match(principal) else (m[1] if (m := IAM_ARN.match(principal)) else None)
    if account is not None and trust.account_trusted(account):
        return Grant(label, name, True, "the account itself" if account == trust.account else "an allowed account")
    condition = _narrowed_by(narrowing, PRINCIPAL_KEYS, trust)
    if condition:
        return Grant(label, name, True, f"narrowed by {condition}")
    if principal == "*":
        return Grant(label, name, False, "any principal of any account (Principal '*' without a trusted condition)")
    if account is None:
        return Grant(label, name, False, "a principal this product cannot attribute to an account")
    return Grant(label, name, False, f"account {account} is not the account, nor in packages.allowed_principals")
