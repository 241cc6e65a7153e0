"""Remediation: Security Hub custom action `ProvenanceGuardFix` and `Remediation Requested` (automatic mode)."""

from provenance_guard.runtime import remediation_lambda_handler as lambda_handler

__all__ = ["lambda_handler"]
