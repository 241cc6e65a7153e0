"""Local AWS emulator for provenance-guard: moto plus the AWS behaviour the service depends on.

Not shipped to Lambda. Call :func:`install` before ``moto.mock_aws()`` (in-process) or use
:class:`provenance_guard_cli.emulator.server.EmulatorServer` (HTTP). What each extension adds is
documented in its module: ``ec2_images`` (AMIs, including the ``emulator:*`` escape-hatch tags),
``ec2_launch_templates`` (``resolve:ssm:`` image ids, resolved with ResolveAlias by ``ec2_ssm_alias``;
SourceVersion, filters, pages), ``ec2_image_references`` (DescribeImageReferences, absent from moto),
``imagebuilder`` (EC2 Image Builder, absent from moto: components, recipes, pipelines, images whose
builds register real AMIs), ``ecs`` and ``ecs_service_api`` (tasks that stay RUNNING and whose
containers report ``imageDigest``, from ``ecs_images``; services that own their tasks, deployments,
DeleteService; the scheduler in ``ecs_services``, placement in ``ecs_placement``),
``ecs_task_definitions`` (revision status, families, sorting and pages, cluster counts), ``ecr`` and
``ecr_scans`` (scan status and findings per the registry's scanning rules, planned scan results,
pull-through cache rules), ``inspector2`` (ListFindings filtered to an image), ``securityhub`` (ASFF
import/update semantics, GetFindings filters), ``signer`` (AWS Signer signing jobs and signed .zip
artifacts), ``lambda_code_signing`` (code signing configurations and their attachment),
``lambda_deploy`` (deployment-time signature checks, layers of other accounts, image digests),
``dynamodb`` (TransactWriteItems without moto's per-action table copies) and ``faults`` (error
injection). The OCI data path is not emulated: :mod:`provenance_guard_cli.local_registry` runs a real
registry beside it.
"""

from __future__ import annotations


def install() -> None:
    """Patch moto so the emulator's extensions are active. Idempotent."""
    from .patches import install as install_patches

    install_patches()


__all__ = ["install"]
