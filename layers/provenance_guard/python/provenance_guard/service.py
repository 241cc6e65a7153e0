"""The composition root: builds the pipeline from `Settings`, once per container, on first use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial

from provenance_guard.collect.ami import AmiCollector
from provenance_guard.collect.base import Collector
from provenance_guard.collect.clients import ClientFactory
from provenance_guard.collect.ecr import EcrRegistryReader, EcrRepositoryCollector, registry_repositories_work
from provenance_guard.collect.ecr_expand import ImageExpander, RepositoryDeletion
from provenance_guard.collect.ecr_image import EcrImageCollector
from provenance_guard.collect.imagebuilder import ImageBuilderReader, distributed_ami_work
from provenance_guard.collect.instance import InstanceCollector
from provenance_guard.collect.lambda_function import LambdaFunctionCollector, functions_using_config_work
from provenance_guard.controls import registry
from provenance_guard.events import Work
from provenance_guard.model import ResourceKind, ResourceRef
from provenance_guard.notify import Notifier
from provenance_guard.oci.ecr import EcrRegistries
from provenance_guard.pipeline import Pipeline
from provenance_guard.policy import Policy
from provenance_guard.policy_source import file_policy, ssm_policy
from provenance_guard.publish import RateLimiter, SecurityHubPublisher
from provenance_guard.settings import Settings
from provenance_guard.state import FindingStateStore


@dataclass(frozen=True)
class Service:
    settings: Settings
    pipeline: Pipeline
    clients: ClientFactory
    state: FindingStateStore | None


def utc_now() -> datetime:
    return datetime.now(UTC)


def collectors(
    clients: ClientFactory,
    registries: EcrRegistries,
    ecr: EcrRegistryReader | None = None,
    images: EcrImageCollector | None = None,
) -> dict[ResourceKind, Collector]:
    amis = AmiCollector(clients)
    ecr = ecr or EcrRegistryReader(clients)
    found: dict[ResourceKind, Collector] = {
        ResourceKind.AMI: amis,
        ResourceKind.INSTANCE: InstanceCollector(clients, amis),
        ResourceKind.ECR_REPOSITORY: EcrRepositoryCollector(clients, ecr),
        ResourceKind.ECR_IMAGE: images or EcrImageCollector(clients, registries, ecr),
    }
    # A container-image function's image is read by the collector that judges ECR images (PG.LAMBDA.6).
    found[ResourceKind.LAMBDA_FUNCTION] = LambdaFunctionCollector(clients, lambda: found.get(ResourceKind.ECR_IMAGE))
    return found


def expanders(
    clients: ClientFactory, registries: EcrRegistries, state: FindingStateStore | None = None
) -> dict[ResourceKind, Callable[[ResourceRef], list[Work]]]:
    return {
        ResourceKind.ECR_REPOSITORY: RepositoryDeletion(clients, state),
        ResourceKind.IMAGE_BUILDER_IMAGE: partial(distributed_ami_work, ImageBuilderReader(clients)),
        ResourceKind.CODE_SIGNING_CONFIG: partial(functions_using_config_work, clients),
        ResourceKind.ECR_IMAGE: ImageExpander(clients, registries),
        ResourceKind.ECR_REGISTRY: partial(registry_repositories_work, clients),
    }


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
    publisher = None
    if not read_only:
        limiter = RateLimiter(settings.securityhub_requests_per_second)
        publisher = SecurityHubPublisher(partial(clients.client, "securityhub"), limiter)
    notifier = Notifier(clients.client("sns"), settings.topic_arn) if settings.topic_arn and not read_only else None
    # No table (the CLI without --table): nothing to diff against, so every result counts as new.
    state = FindingStateStore(clients.client("dynamodb"), settings.table_name) if settings.table_name else None
    registries = EcrRegistries(clients, settings.registry_url)
    ecr = EcrRegistryReader(clients, per_run=True)  # what one run reads once: see each `forget`
    images = EcrImageCollector(clients, registries, ecr, per_run=True)
    pipeline = Pipeline(
        registry=registry,
        collectors=collectors(clients, registries, ecr, images),
        on_run_start=(ecr.forget, images.forget),
        expanders=expanders(clients, registries, state),
        policy=policy,
        state=state,
        publisher=publisher,
        notifier=notifier,
        clock=clock,
    )
    return Service(settings, pipeline, clients, state)


@cache
def default_service() -> Service:
    """The service a deployed function uses; tests pass their own (`handler(..., service=...)`)."""
    return build_service(Settings.from_env())
