"""Vulnerability scans: `ECR Image Scan`, `Inspector2 Scan`, `Inspector2 Finding`."""

from provenance_guard.runtime import sqs_lambda_handler as lambda_handler

__all__ = ["lambda_handler"]
