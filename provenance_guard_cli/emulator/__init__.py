"""Local AWS emulator for provenance-guard: moto plus the AWS behaviour the service depends on.

Not shipped to Lambda. Call :func:`install` before ``moto.mock_aws()`` (in-process) or use
:class:`provenance_guard_cli.emulator.server.EmulatorServer` (HTTP). Each extension documents what it adds
and what it leaves out in its module docstring:

- EC2 AMIs: ``ec2_images`` (RegisterImage parameters, DescribeImages, attributes, deprecation, the
  ``emulator:*`` escape-hatch tags), ``ec2_image_lineage`` (GetImageAncestry, SourceImageId/Region),
  ``ec2_image_watermarks``, ``ec2_image_scans`` (Image.ScanResults), ``ec2_image_filters``,
  ``ec2_allowed_images`` / ``ec2_allowed_criteria`` (Allowed AMIs, Image.ImageAllowed),
  ``ec2_account_guardrails`` (image block public access, instance metadata defaults),
  ``ec2_image_references`` (DescribeImageReferences).
- EC2 launch templates: ``ec2_launch_templates`` and ``ec2_ssm_alias`` (``resolve:ssm:`` image ids).
- ECS: ``ecs``, ``ecs_service_api``, ``ecs_services``, ``ecs_tasks``, ``ecs_images`` (container image
  digests), ``ecs_placement``, ``ecs_task_definitions``.
- EC2 Image Builder (absent from moto): ``imagebuilder`` and its ``imagebuilder_*`` modules.
- AWS CodeArtifact (absent from moto): ``codeartifact`` and its ``codeartifact_*`` modules.
- ECR and Inspector: ``ecr``, ``ecr_scans``, ``ecr_signing``, ``inspector2``.
- Security Hub: ``securityhub`` (ASFF import/update semantics, GetFindings filters).
- AWS Signer and Lambda: ``signer``, ``signer_notation``, ``lambda_code_signing``, ``lambda_deploy``.
- ``dynamodb`` (TransactWriteItems without moto's per-action table copies) and ``faults`` (error injection).
- ``request_log``: the HTTP server's request log never holds up a request; ``request_counts``: the AWS
  requests served, per operation, for benchmarks.

The OCI data path is not emulated: :mod:`provenance_guard_cli.local_registry` runs a real registry beside it.
"""

from __future__ import annotations


def install() -> None:
    """Patch moto so the emulator's extensions are active. Idempotent."""
    from .patches import install as install_patches

    install_patches()


__all__ = ["install"]
