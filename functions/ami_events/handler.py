"""AMI events: `EC2 AMI State Change`, Image Builder image state, CloudTrail Modify/ResetImageAttribute."""

from provenance_guard.runtime import sqs_lambda_handler as lambda_handler

__all__ = ["lambda_handler"]
