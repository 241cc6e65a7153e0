"""Where a running function gets its policy: the SSM parameter the stack wrote (cached by Powertools),
or a local file for the CLI and the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from provenance_guard.policy import Policy, PolicyError


def ssm_policy(parameter_name: str, max_age_seconds: int, ssm_client: Any = None) -> Callable[[], Policy]:
    """Reads the JSON policy document from SSM through Powertools parameters, cached for `max_age`."""
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    provider = SSMProvider(boto3_client=ssm_client) if ssm_client is not None else SSMProvider()
    cache: dict[str, Policy] = {}

    def load() -> Policy:
        raw = provider.get(parameter_name, max_age=max_age_seconds)
        text = raw if isinstance(raw, str) else json.dumps(raw)
        if text not in cache:
            cache.clear()
            cache[text] = Policy.from_document(json.loads(text))
        return cache[text]

    return load


def file_policy(path: str) -> Callable[[], Policy]:
    """A policy read once from a YAML or JSON file (local use: CLI, emulator, tests)."""
    policy = load_policy_file(path)
    return lambda: policy


def load_policy_file(path: str) -> Policy:
    """Raises `PolicyError` for invalid content (syntax included) and `OSError` for an unreadable file."""
    text = Path(path).read_text()
    if path.endswith(".json"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise PolicyError("", f"{path} is not valid JSON: {error}") from None
        return Policy.from_document(document)
    import yaml

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PolicyError("", f"{path} is not valid YAML: {error}") from None
    return Policy.from_document(document or {})
