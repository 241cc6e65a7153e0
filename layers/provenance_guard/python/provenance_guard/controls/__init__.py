"""Every control module, imported explicitly so the registry is complete once this package loads."""

from provenance_guard.controls import (
    ami,
    ami_hygiene,
    ecr_image,
    ecr_repository,
    ecr_scan,
    ecr_signature,
    instance,
    lambda_image,
    lambda_runtime,
    lambda_signing,
    packages,
    packages_access,
)
from provenance_guard.controls.registry import Control, EvaluationContext, registry

__all__ = [
    "Control",
    "EvaluationContext",
    "ami",
    "ami_hygiene",
    "ecr_image",
    "ecr_repository",
    "ecr_scan",
    "ecr_signature",
    "instance",
    "lambda_image",
    "lambda_runtime",
    "lambda_signing",
    "packages",
    "packages_access",
    "registry",
]
