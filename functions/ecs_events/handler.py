"""ECS: `ECS Task State Change`, CloudTrail task definition and service calls (and their rechecks)."""

from provenance_guard.runtime import sqs_lambda_handler as lambda_handler

__all__ = ["lambda_handler"]
