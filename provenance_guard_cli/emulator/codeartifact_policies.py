"""CodeArtifact domain and repository permissions policies: stored and returned, never enforced.

Each handler takes the request's parsed parameters and returns the response members.
"""

from __future__ import annotations

import json
from typing import Any

from .codeartifact_model import (
    CodeArtifactBackend,
    ConflictException,
    Domain,
    Policy,
    Repository,
    ResourceNotFoundException,
    ValidationException,
    find_domain,
)


def _domain(backend: CodeArtifactBackend, params: dict[str, Any]) -> Domain:
    return find_domain(backend, params["domain"], params.get("domainOwner"))


def _check_policy_document(document: str) -> None:
    try:
        policy = json.loads(document)
    except ValueError as error:
        raise ValidationException(f"The policy document is not valid JSON: {error}") from None
    if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), list | dict):
        raise ValidationException("The policy document must be a JSON object with a 'Statement'.")


def _put_policy(holder: Domain | Repository, arn: str, params: dict[str, Any]) -> dict[str, Any]:
    _check_policy_document(params["policyDocument"])
    expected = params.get("policyRevision")
    current = holder.policy
    if expected is not None and (current is None or current.revision != expected):
        raise ConflictException(f"The policy revision '{expected}' is not the current revision of {arn}'s policy.")
    holder.policy = Policy(arn, params["policyDocument"])
    return {"policy": holder.policy.describe()}


def _policy(holder: Domain | Repository, arn: str) -> Policy:
    if holder.policy is None:
        raise ResourceNotFoundException(f"No resource policy is set on {arn}.")
    return holder.policy


def _delete_policy(holder: Domain | Repository, arn: str, params: dict[str, Any]) -> dict[str, Any]:
    policy = _policy(holder, arn)
    expected = params.get("policyRevision")
    if expected is not None and expected != policy.revision:
        raise ConflictException(f"The policy revision '{expected}' is not the current revision of {arn}'s policy.")
    holder.policy = None
    return {"policy": policy.describe()}


def put_domain_permissions_policy(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    return _put_policy(domain, domain.domain_arn, params)


def get_domain_permissions_policy(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    return {"policy": _policy(domain, domain.domain_arn).describe()}


def delete_domain_permissions_policy(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    return _delete_policy(domain, domain.domain_arn, params)


def put_repository_permissions_policy(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    repository = domain.repository(params["repository"])
    return _put_policy(repository, repository.arn, params)


def get_repository_permissions_policy(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    repository = domain.repository(params["repository"])
    return {"policy": _policy(repository, repository.arn).describe()}


def delete_repository_permissions_policy(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    repository = domain.repository(params["repository"])
    return _delete_policy(repository, repository.arn, params)
