"""Instance launches (CloudTrail `RunInstances`, `EC2 Instance State-change Notification`) and launch template calls."""

from provenance_guard.runtime import sqs_lambda_handler as lambda_handler

__all__ = ["lambda_handler"]
