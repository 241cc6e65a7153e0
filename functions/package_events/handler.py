"""Package events: CodeArtifact package version state changes and the CloudTrail calls that change
repositories, package groups and resource policies."""

from provenance_guard.runtime import sqs_lambda_handler as lambda_handler

__all__ = ["lambda_handler"]
