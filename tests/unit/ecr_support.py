"""Builders for ECR snapshots and documented ECR/Inspector events, for the unit tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from provenance_guard.collect.ecr import RegistryScanning, ScanningRule
from provenance_guard.collect.ecr_image_model import ECR_IMAGE, BaseImage, EcrImageSnapshot
from provenance_guard.collect.ecr_repository import ECR_REPOSITORY, EcrRepositorySnapshot
from provenance_guard.collect.ecr_scan import BASIC, INSPECTOR, ScanResult, Vulnerability
from provenance_guard.model import ResourceRef
from tests.unit.support import ACCOUNT, REGION, T0, load_event

DIGEST = "sha256:" + "ab" * 32
OTHER_DIGEST = "sha256:" + "cd" * 32


def repository_ref(name: str = "team/app") -> ResourceRef:
    return ResourceRef(ECR_REPOSITORY, name, ACCOUNT, REGION)


def image_ref(repository: str = "team/app", digest: str = DIGEST) -> ResourceRef:
    return ResourceRef(ECR_IMAGE, f"{repository}@{digest}", ACCOUNT, REGION)


def scanning(scan_type: str = "BASIC", *rules: tuple[str, str]) -> RegistryScanning:
    return RegistryScanning(scan_type, tuple(ScanningRule(frequency, (pattern,)) for frequency, pattern in rules))


def repository(**overrides: Any) -> EcrRepositorySnapshot:
    values: dict[str, Any] = {
        "ref": repository_ref(),
        "created_at": T0 - timedelta(days=30),
        "tag_mutability": "IMMUTABLE",
        "mutability_exclusions": (),
        "scan_on_push": False,
        "registry_scanning": scanning("ENHANCED", ("CONTINUOUS_SCAN", "*")),
        "tags": {},
    }
    values.update(overrides)
    return EcrRepositorySnapshot(**values)


def vulnerability(id: str, severity: str, fix: str = "fixed in 1.2.4", score: float | None = None) -> Vulnerability:
    return Vulnerability(id, severity, "openssl 3.0.13", fix, score)


def scan(
    counts: dict[str, int] | None = None, *, source: str = INSPECTOR, status: str = "ACTIVE", **extra: Any
) -> ScanResult:
    counts = counts or {}
    return ScanResult(source, status, counts=counts, total=sum(counts.values()), **extra)


def image(**overrides: Any) -> EcrImageSnapshot:
    """A clean, scanned, fresh image built from a trusted base."""
    values: dict[str, Any] = {
        "ref": image_ref(),
        "repository": "team/app",
        "digest": DIGEST,
        "image_tags": ("v1",),
        "pushed_at": T0 - timedelta(days=3),
        "media_type": "application/vnd.oci.image.manifest.v1+json",
        "kind": "image",
        "scan": scan(),
        "base_image": BaseImage(f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/base/al2023:2025.1", None, "config label"),
    }
    values.update(overrides)
    return EcrImageSnapshot(**values)


def basic_scan(**counts: int) -> ScanResult:
    return scan(counts, source=BASIC, status="COMPLETE")


def ecr_event(fixture: str, **detail: Any) -> dict[str, Any]:
    """A documented ECR / Inspector sample re-addressed to moto's account and Region."""
    event = load_event(fixture)
    event.update(account=ACCOUNT, region=REGION)
    event["detail"].update(detail)
    return event
