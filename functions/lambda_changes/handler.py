"""Lambda changes: CloudTrail function, code-signing-config and deletion calls."""

from provenance_guard.runtime import sqs_lambda_handler as lambda_handler

__all__ = ["lambda_handler"]
