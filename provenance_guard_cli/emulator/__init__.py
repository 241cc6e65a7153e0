"""Local AWS emulator for provenance-guard: moto plus the AWS behaviour the service depends on.

Not shipped to Lambda. Call :func:`install` before ``moto.mock_aws()`` (in-process) or use
:class:`provenance_guard_cli.emulator.server.EmulatorServer` (HTTP). What each extension adds is
documented in its module: ``ec2_images`` (AMIs, including the ``emulator:*`` escape-hatch tags),
``ec2_image_lineage`` (GetImageAncestry, SourceImageId/Region recorded by CreateImage and CopyImage,
copies of AMIs other accounts share), ``ec2_image_watermarks`` (Attach/DetachImageWatermark, inherited
by derived AMIs), ``ec2_image_scans`` (Image.ScanResults, set by tests and the demo), ``ec2_image_filters``
(DescribeImages filters for those members), ``ec2_allowed_images`` and ``ec2_allowed_criteria`` (the
Allowed AMIs setting, its criteria and Image.ImageAllowed), ``ec2_account_guardrails`` (image block public
access, instance metadata defaults), ``imagebuilder`` (EC2 Image Builder, absent from moto: components,
recipes, pipelines, images whose builds register real AMIs), ``ecr`` and ``ecr_scans`` (scan status and
findings per the registry's scanning rules, planned scan results, pull-through cache rules), ``inspector2``
(ListFindings filtered to an image), ``securityhub`` (ASFF import/update semantics, GetFindings filters),
``signer`` (AWS Signer signing jobs and signed .zip artifacts), ``lambda_code_signing`` (code signing configurations
and their attachment), ``lambda_deploy`` (deployment-time signature checks, layers of other accounts,
image digests), ``dynamodb`` (TransactWriteItems without moto's per-action table copies), ``faults``
(error injection) and ``request_counts`` (the AWS requests served, per operation, for benchmarks). The
OCI data path is not emulated: :mod:`provenance_guard_cli.local_registry` runs a real registry beside it.
"""

from __future__ import annotations


def install() -> None:
    """Patch moto so the emulator's extensions are active. Idempotent."""
    from .patches import install as install_patches

    install_patches()


__all__ = ["install"]
