"""Instance launches: CloudTrail `RunInstances` and `EC2 Instance State-change Notification`."""

from provenance_guard.runtime import sqs_lambda_handler as lambda_handler

__all__ = ["lambda_handler"]
