"""The demo's container images: hardened and careless repositories, images pushed to the local
registry and recorded in the emulator's ECR with the same digest, what the scanners find, and the
events ECR, Inspector and CloudTrail send about them (from the documented samples)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from provenance_guard_cli.local_registry import Pushed, RegistryPusher, image_manifest, push_image
from provenance_guard_cli.notation import aws_signer_envelope, push_notation_signature
from provenance_guard_cli.sample_account import ACCOUNT, REGION, Step, sample_event

BASE_NAME = "org.opencontainers.image.base.name"
GOLDEN_BASE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/golden/al2023-minimal:2026.11"
UNTRUSTED_BASE = "docker.io/randomdev/python:3.9-slim"
HARDENED_FILTER = "payments/*"
NOTATION_PLATFORM = "Notation-OCI-SHA384-ECDSA"
RELEASE_PROFILE = "ContainerRelease"
"""Trusted in the demo policy (container.signatures.trust_policies[0].trusted_identities)."""
NIGHTLY_PROFILE = "ContainerNightly"
"""A profile of the same account that no trust policy lists."""
WORKER_VULNERABILITIES: list[dict[str, Any]] = [
    {
        "id": "CVE-2025-9230",
        "severity": "CRITICAL",
        "package": "openssl",
        "version": "3.0.8",
        "fixedIn": "3.0.18",
        "score": 9.1,
    },
    {
        "id": "CVE-2025-4802",
        "severity": "HIGH",
        "package": "glibc",
        "version": "2.34",
        "fixedIn": "2.34-125",
        "score": 7.8,
    },
    {"id": "CVE-2024-56171", "severity": "HIGH", "package": "libxml2", "version": "2.10.4", "score": 7.8},
    {
        "id": "CVE-2025-0725",
        "severity": "LOW",
        "package": "curl",
        "version": "8.3.0",
        "fixedIn": "8.12.0",
        "score": 3.1,
    },
]
CLOSED_LIBXML2 = {**WORKER_VULNERABILITIES[2], "status": "CLOSED"}
PlanScan = Callable[..., None]
"""`EmulatorServer.plan_scan`: what the emulated scanner finds for a digest."""


def image_pushed(repository: str, digest: str, tag: str = "latest") -> dict[str, Any]:
    return sample_event(
        "ecr-image-action-push.json",
        **{"detail.repository-name": repository, "detail.image-digest": digest, "detail.image-tag": tag},
    )


def image_deleted(repository: str, digest: str, tag: str = "latest") -> dict[str, Any]:
    return sample_event(
        "ecr-image-action-delete.json",
        **{"detail.repository-name": repository, "detail.image-digest": digest, "detail.image-tag": tag},
    )


def image_replicated(repository: str, digest: str, source_account: str, source_region: str) -> dict[str, Any]:
    """`ECR Replication Action`: ECR replicated `digest` into this registry from another."""
    return sample_event(
        "ecr-replication-action.json",
        resources=[f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repository}"],
        **{
            "detail.repository-name": repository,
            "detail.image-digest": digest,
            "detail.source-account": source_account,
            "detail.source-region": source_region,
        },
    )


def signature_pushed(repository: str, subject_digest: str) -> dict[str, Any]:
    """`ECR Referrer Action`: a Notation signature of `subject_digest` was pushed."""
    return sample_event(
        "ecr-referrer-action-restore.json",
        **{
            "detail.action-type": "PUSH",
            "detail.repository-name": repository,
            "detail.image-digest": subject_digest,
            "detail.artifact-media-type": "application/vnd.cncf.notary.signature",
            "detail.manifest-media-type": "application/vnd.oci.image.manifest.v1+json",
        },
    )


def basic_scan_completed(repository: str, digest: str) -> dict[str, Any]:
    return sample_event(
        "ecr-image-scan.json",
        resources=[f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repository}"],
        **{"detail.repository-name": repository, "detail.image-digest": digest},
    )


def inspector_scanned(repository: str, digest: str) -> dict[str, Any]:
    arn = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repository}"
    return sample_event(
        "inspector2-scan-ecr.json",
        resources=[arn],
        **{"detail.repository-name": arn, "detail.image-digest": digest},
    )


def inspector_finding(repository: str, digest: str, status: str = "ACTIVE") -> dict[str, Any]:
    event = sample_event("inspector2-finding-ecr.json", **{"detail.status": status, "detail.awsAccountId": ACCOUNT})
    resource = event["detail"]["resources"][0]
    resource.update(id=f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repository}/{digest}", region=REGION)
    resource["details"]["awsEcrContainerImage"].update(repositoryName=repository, imageHash=digest, registry=ACCOUNT)
    event["resources"] = [resource["id"]]
    return event


def ecr_call(fixture: str, repository: str | None = None) -> dict[str, Any]:
    """A CloudTrail ECR call; `repository` replaces the request's repositoryName."""
    changes = {"detail.requestParameters.repositoryName": repository} if repository else {}
    return sample_event(fixture, **changes)


def build_containers(client: Callable[[str], Any], registry_url: str, plan_scan: PlanScan) -> list[Step]:
    """Repositories and images for the container family; returns the changes and events, in order."""
    ecr = client("ecr")
    pusher = RegistryPusher(registry_url)
    ecr.create_repository(repositoryName="payments/api", imageTagMutability="IMMUTABLE")
    ecr.create_repository(repositoryName="payments/worker", imageTagMutability="IMMUTABLE")
    ecr.create_repository(repositoryName="payments/reports", imageTagMutability="IMMUTABLE")
    ecr.create_repository(repositoryName="sandbox/tools")

    signer = client("signer")
    for profile in (RELEASE_PROFILE, NIGHTLY_PROFILE):
        signer.put_signing_profile(profileName=profile, platformId=NOTATION_PLATFORM)
    pushed: dict[str, Pushed] = {}

    def push(repository: str, base: str, tag: str, layer: bytes) -> str:
        document = image_manifest(pusher, repository, labels={BASE_NAME: base}, layer=layer)
        pushed[repository] = push_image(ecr, pusher, repository, document, tag)
        return pushed[repository].digest

    def sign(repository: str, profile: str) -> None:
        """`notation sign` with AWS Signer's plugin: SignPayload, then the signature manifest is pushed."""
        envelope = aws_signer_envelope(signer, profile, pushed[repository])
        push_notation_signature(pusher, repository, pushed[repository], envelope)

    def enhanced_scanning() -> None:
        ecr.put_registry_scanning_configuration(
            scanType="ENHANCED",
            rules=[
                {
                    "scanFrequency": "CONTINUOUS_SCAN",
                    "repositoryFilters": [{"filter": HARDENED_FILTER, "filterType": "WILDCARD"}],
                }
            ],
        )

    api = push("payments/api", GOLDEN_BASE, "2026.11.28", b"api")
    worker = push("payments/worker", GOLDEN_BASE, "2026.11.28", b"worker")
    reports = push("payments/reports", UNTRUSTED_BASE, "2026.11.28", b"reports")
    tools = push("sandbox/tools", GOLDEN_BASE, "latest", b"tools")
    plan_scan("payments/worker", worker, vulnerabilities=WORKER_VULNERABILITIES)
    pushed_long_ago = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    plan_scan("sandbox/tools", tools, pushedAt=pushed_long_ago)
    return [
        Step(
            f"registry scanning: Amazon Inspector scans {HARDENED_FILTER} continuously "
            "(CloudTrail PutRegistryScanningConfiguration)",
            ecr_call("cloudtrail-ecr-putregistryscanningconfiguration.json"),
            enhanced_scanning,
        ),
        Step(
            f"clean image payments/api@{api[:19]}… pushed to a hardened repository, built from {GOLDEN_BASE}",
            image_pushed("payments/api", api, "2026.11.28"),
        ),
        Step("Amazon Inspector scanned payments/api: no findings", inspector_scanned("payments/api", api)),
        Step(
            f"payments/api signed after its push with AWS Signer profile {RELEASE_PROFILE} (ECR Referrer Action): "
            "the signature verifies, the image is re-judged and PG.ECR.3 passes",
            signature_pushed("payments/api", api),
            lambda: sign("payments/api", RELEASE_PROFILE),
        ),
        Step(
            "payments/worker pushed; Inspector finds CRITICAL openssl and HIGH glibc/libxml2 vulnerabilities",
            image_pushed("payments/worker", worker, "2026.11.28"),
        ),
        Step("Amazon Inspector scanned payments/worker", inspector_scanned("payments/worker", worker)),
        Step(
            f"payments/reports pushed, built from {UNTRUSTED_BASE} (not a trusted registry)",
            image_pushed("payments/reports", reports, "2026.11.28"),
        ),
        Step(
            f"payments/reports signed with profile {NIGHTLY_PROFILE}, which no trust policy lists: a valid AWS "
            "Signer signature from an untrusted identity still fails",
            signature_pushed("payments/reports", reports),
            lambda: sign("payments/reports", NIGHTLY_PROFILE),
        ),
        Step(
            "sandbox/tools:latest pushed into a mutable repository no scanning rule covers (the image is 40 days "
            "old and was never scanned)",
            image_pushed("sandbox/tools", tools),
        ),
        Step(
            "Inspector closes the libxml2 finding on payments/worker (Inspector2 Finding CLOSED): re-judged, the "
            "CRITICAL openssl finding still fails it",
            inspector_finding("payments/worker", worker, "CLOSED"),
            lambda: plan_scan(
                "payments/worker",
                worker,
                vulnerabilities=[*WORKER_VULNERABILITIES[:2], CLOSED_LIBXML2, WORKER_VULNERABILITIES[3]],
            ),
        ),
    ]
