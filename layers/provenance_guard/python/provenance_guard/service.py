"""The composition root: builds the pipeline from `Settings`, once per container, on first use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import Collection
from provenance_guard.collect.kinds import KINDS, USAGE
from provenance_guard.controls import registry
from provenance_guard.notify import Notifier, SnsNotifier
from provenance_guard.oci.ecr import EcrRegistries
from provenance_guard.pipeline import Pipeline
from provenance_guard.policy import Policy
from provenance_guard.policy_source import file_policy, ssm_policy
from provenance_guard.publish import RateLimiter, SecurityHubPublisher, SecurityHubSink, Sink
from provenance_guard.remediation.engine import Remediator
from provenance_guard.remediation.notice import SnsRemediationNotice
from provenance_guard.settings import Settings
from provenance_guard.state import FindingStateStore


@dataclass(frozen=True)
class Service:
    settings: Settings
    pipeline: Pipeline
    clients: ClientFactory
    state: FindingStateStore | None
    collection: Collection
    remediator: Remediator
    policy: Callable[[], Policy]
    """The current policy (read as the pipeline reads it); the sweep's CodeArtifact inventory needs it."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_service(
    settings: Settings,
    clients: ClientFactory | None = None,
    clock: Callable[[], datetime] = utc_now,
    *,
    read_only: bool = False,
) -> Service:
    clients = clients or ClientFactory(max_attempts=settings.aws_max_attempts)
    policy: Callable[[], Policy]
    if settings.policy_file:
        policy = file_policy(settings.policy_file)
    else:
        assert settings.policy_parameter is not None  # Settings.from_env guarantees one of the two
        policy = ssm_policy(settings.policy_parameter, settings.policy_max_age_seconds, clients.client("ssm"))
    sinks: list[Sink] = []
    notifiers: list[Notifier] = []
    if not read_only:
        limiter = RateLimiter(settings.securityhub_requests_per_second)
        sinks.append(SecurityHubSink(SecurityHubPublisher(partial(clients.client, "securityhub"), limiter)))
        if settings.topic_arn:
            notifiers.append(SnsNotifier(clients.client("sns"), settings.topic_arn))
    # No table (the CLI without --table): nothing to diff against, so every result counts as new.
    state = FindingStateStore(clients.client("dynamodb"), settings.table_name) if settings.table_name else None
    collection = Collection(clients, EcrRegistries(clients, settings.registry_url), KINDS, state, USAGE)
    pipeline = Pipeline(
        registry=registry,
        collection=collection,
        policy=policy,
        state=state,
        sinks=sinks,
        notifiers=notifiers,
        clock=clock,
    )
    remediator = Remediator(
        registry=registry,
        collection=collection,
        policy=policy,
        pipeline=pipeline,
        clients=clients,
        clock=clock,
        record=not read_only,
        notify=[SnsRemediationNotice(clients.client("sns"), settings.topic_arn, partial(_has_chat, policy))]
        if settings.topic_arn and not read_only
        else [],
    )
    return Service(settings, pipeline, clients, state, collection, remediator, policy)


def _has_chat(policy: Callable[[], Policy]) -> bool:
    return bool(policy().notifications.chat)


@cache
def default_service() -> Service:
    """The service a deployed function uses; tests pass their own (`handler(..., service=...)`)."""
    return build_service(Settings.from_env())
