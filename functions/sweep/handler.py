"""The scheduled sweep: re-checks the whole inventory through the same pipeline as the events."""

from provenance_guard.runtime import sweep_lambda_handler as lambda_handler

__all__ = ["lambda_handler"]
