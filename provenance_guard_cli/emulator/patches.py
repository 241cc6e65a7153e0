"""Registry of the emulator's patches to moto.

Every extension module (one per service) exposes ``install()`` and changes moto only through
:func:`patch_attr` / :func:`add_url_path`, so the original of every patched attribute stays reachable
through :func:`original` and installing twice changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, MutableMapping
from typing import Any

_MISSING = object()
_originals: dict[tuple[object, str], Any] = {}
_lock = threading.RLock()
_installed = False


def patch_attr(owner: object, name: str, value: Any) -> None:
    """Set ``owner.name = value``, remembering what was there before the first patch."""
    with _lock:
        key = (owner, name)
        if key not in _originals:
            namespace = owner.__dict__ if isinstance(owner, type) else vars(owner)
            _originals[key] = namespace.get(name, _MISSING)
        setattr(owner, name, value)


def original(owner: object, name: str) -> Any:
    """The attribute ``owner.name`` had before the emulator patched it."""
    value = _originals[(owner, name)]
    if value is _MISSING:
        raise AttributeError(f"{owner!r}.{name} did not exist before the emulator patched it")
    return value


def add_url_path(url_paths: MutableMapping[str, Any], pattern: str, handler: Callable[..., Any]) -> None:
    """Route ``pattern`` (moto's ``{0}/path$`` form) to ``handler`` in a moto ``urls`` module."""
    with _lock:
        url_paths.setdefault(pattern, handler)


def install() -> None:
    """Activate every extension, in-process (``moto.mock_aws``) and for the moto server. Idempotent."""
    global _installed
    with _lock:
        if _installed:
            return
        from . import (
            codeartifact,
            dynamodb,
            ec2_account_guardrails,
            ec2_allowed_images,
            ec2_image_filters,
            ec2_image_lineage,
            ec2_image_references,
            ec2_image_scans,
            ec2_image_watermarks,
            ec2_images,
            ec2_launch_templates,
            ecr,
            ecr_signing,
            ecs,
            ecs_images,
            ecs_task_definitions,
            faults,
            imagebuilder,
            inspector2,
            lambda_code_signing,
            lambda_deploy,
            request_counts,
            securityhub,
            signer,
            signer_notation,
            signer_profiles,
        )

        dynamodb.install()
        ec2_images.install()
        ec2_image_lineage.install()
        ec2_image_watermarks.install()
        ec2_image_scans.install()
        ec2_image_filters.install()
        ec2_allowed_images.install()
        ec2_account_guardrails.install()
        ec2_image_references.install()
        ec2_launch_templates.install()
        ecr.install()
        ecr_signing.install()
        ecs.install()
        ecs_images.install()
        ecs_task_definitions.install()
        inspector2.install()
        imagebuilder.install()
        codeartifact.install()  # after imagebuilder: its get_backend resolver does not chain
        securityhub.install()
        signer.install()
        signer_notation.install()
        signer_profiles.install()
        lambda_code_signing.install()
        lambda_deploy.install()
        faults.install()
        request_counts.install()
        _installed = True
