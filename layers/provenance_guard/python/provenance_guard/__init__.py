"""provenance-guard: SEC06-BP02 "Provision compute from hardened images" for AWS, event-driven.

This package is the shared Lambda layer: control registry, collectors, the findings pipeline.
"""

__version__ = "0.1.0"
