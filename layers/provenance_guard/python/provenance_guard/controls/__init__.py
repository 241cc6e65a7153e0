"""Every control module, imported explicitly so the registry is complete once this package loads."""

from provenance_guard.controls import (
    ami,
    ami_hygiene,
    ecr_image,
    ecr_repository,
    ecr_scan,
    ecr_signature,
    ecs,
    instance,
    lambda_image,
    lambda_runtime,
    lambda_signing,
    launch_template,
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
    "ecs",
    "instance",
    "lambda_image",
    "lambda_runtime",
    "lambda_signing",
    "launch_template",
    "registry",
]
