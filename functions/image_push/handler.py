"""Container images: `ECR Image Action`, `ECR Referrer Action`, ECR configuration CloudTrail calls."""

from provenance_guard.runtime import sqs_lambda_handler as lambda_handler

__all__ = ["lambda_handler"]
