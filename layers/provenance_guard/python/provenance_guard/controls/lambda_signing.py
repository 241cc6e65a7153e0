"""Lambda code signing controls (CONTROLS.md §1, PG.LAMBDA.1-3): .zip functions only, since Lambda code
signing does not apply to container images (PG.LAMBDA.6 judges those)."""

from __future__ import annotations

from provenance_guard.collect.lambda_function import LAMBDA_FUNCTION, READ_CODE_SIGNING, READ_FUNCTION, READ_SIGNING_JOB
from provenance_guard.collect.lambda_model import FunctionVersion, LambdaFunctionSnapshot
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.lambda_identifiers import trusted_profile
from provenance_guard.model import Reason, Severity, Verdict
from provenance_guard.policy import Policy

CODE_SIGNING_URL = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html"


@registry.register(
    id="PG.LAMBDA.1",
    title="Lambda functions should enforce code signing",
    severity=Severity.HIGH,
    resource_kind=LAMBDA_FUNCTION,
    remediation_text=(
        "Create a code signing configuration whose UntrustedArtifactOnDeployment policy is Enforce and attach it "
        "(aws lambda put-function-code-signing-config), so Lambda refuses unsigned or untrusted code instead of "
        "only warning; then redeploy the function from a package signed with AWS Signer."
    ),
    remediation_url=CODE_SIGNING_URL,
    permissions=READ_FUNCTION + READ_CODE_SIGNING,
    remediation_by_reason={
        "NOT_ENFORCED": (
            "Set the code signing configuration's UntrustedArtifactOnDeployment policy to Enforce (aws lambda "
            "update-code-signing-config --code-signing-policies UntrustedArtifactOnDeployment=Enforce), so "
            "Lambda refuses unsigned code instead of warning."
        ),
        "NO_CODE_SIGNING_CONFIG": (
            "Create a code signing configuration (UntrustedArtifactOnDeployment Enforce, the trusted signing "
            "profiles as allowed publishers), attach it with aws lambda put-function-code-signing-config, and "
            "redeploy the function from a package signed with AWS Signer."
        ),
    },
    nist=("CM-14", "SI-7(15)"),
    cis=("2.5",),
)
def code_signing_enforced(fn: LambdaFunctionSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict | None:
    """A code signing configuration is attached to the .zip function and its UntrustedArtifactOnDeployment
    policy is Enforce. Not judged for container images."""
    if fn.is_image:
        return None
    config = fn.code_signing
    evidence = {
        "CodeSigningConfigArn": config.config_arn if config else "none",
        "UntrustedArtifactOnDeployment": (config.policy or "unreadable") if config else "-",
    }
    if config is None:
        reason = Reason("NO_CODE_SIGNING_CONFIG", "no code signing configuration is attached: any code can be deployed")
        return Verdict.failed("PG.LAMBDA.1", (reason,), evidence)
    if config.policy is None:
        why = f"code signing configuration {config.config_arn} cannot be read ({config.error})"
        return Verdict.not_available("PG.LAMBDA.1", "CONFIG_UNREADABLE", why, evidence)
    if config.policy != "Enforce":
        why = f"UntrustedArtifactOnDeployment is {config.policy}: unsigned or untrusted code is deployed with a warning"
        return Verdict.failed("PG.LAMBDA.1", (Reason("NOT_ENFORCED", why),), evidence)
    return Verdict.passed(
        "PG.LAMBDA.1", f"code signing configuration {config.config_arn} enforces signatures", evidence
    )


@registry.register(
    id="PG.LAMBDA.2",
    title="Lambda code signing should allow only trusted publishers",
    severity=Severity.HIGH,
    resource_kind=LAMBDA_FUNCTION,
    remediation_text=(
        "Remove every signing profile that is not in lambda.trusted_signing_profiles from the code signing "
        "configuration's allowed publishers (aws lambda update-code-signing-config --allowed-publishers ...), or, "
        "if the profile is yours and trustworthy, add it to the policy."
    ),
    remediation_url="https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning-create.html",
    permissions=READ_FUNCTION + READ_CODE_SIGNING,
    remediation_by_reason={
        "NO_CODE_SIGNING_CONFIG": "Attach an enforcing code signing configuration first: see the PG.LAMBDA.1 finding.",
    },
    nist=("CM-14", "SI-7(15)", "SR-11"),
    cis=("2.5",),
)
def trusted_publishers(fn: LambdaFunctionSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict | None:
    """Every allowed publisher of the function's code signing configuration is a signing profile (or profile
    version) in lambda.trusted_signing_profiles. Not judged for container images."""
    if fn.is_image:
        return None
    config = fn.code_signing
    trusted = policy.lambda_.trusted_signing_profiles
    evidence = {
        "CodeSigningConfigArn": config.config_arn if config else "none",
        "AllowedPublishers": ", ".join(config.allowed_publishers) if config else "-",
        "TrustedSigningProfiles": ", ".join(trusted) or "-",
    }
    if config is None:
        why = "no code signing configuration is attached, so no publisher is restricted (see PG.LAMBDA.1)"
        return Verdict.not_available("PG.LAMBDA.2", "NO_CODE_SIGNING_CONFIG", why, evidence)
    if config.policy is None:
        why = f"code signing configuration {config.config_arn} cannot be read ({config.error})"
        return Verdict.not_available("PG.LAMBDA.2", "CONFIG_UNREADABLE", why, evidence)
    untrusted = [arn for arn in config.allowed_publishers if trusted_profile(arn, trusted) is None]
    if untrusted:
        reasons = tuple(
            Reason("UNTRUSTED_PUBLISHER", f"allowed publisher {arn} is not in lambda.trusted_signing_profiles")
            for arn in untrusted
        )
        return Verdict.failed("PG.LAMBDA.2", reasons, evidence)
    count = len(config.allowed_publishers)
    return Verdict.passed("PG.LAMBDA.2", f"all {count} allowed publishers are trusted signing profiles", evidence)


@registry.register(
    id="PG.LAMBDA.3",
    title="Deployed Lambda code should be signed by a trusted signing profile",
    severity=Severity.HIGH,
    resource_kind=LAMBDA_FUNCTION,
    remediation_text=(
        "Sign the package with an AWS Signer profile listed in lambda.trusted_signing_profiles (aws signer "
        "start-signing-job) and redeploy it with an enforcing code signing configuration attached, then publish a "
        "version and move the aliases to it: attaching a configuration does not re-validate code already deployed."
    ),
    remediation_url=CODE_SIGNING_URL,
    permissions=READ_FUNCTION + READ_SIGNING_JOB,
    remediation_by_reason={
        "UNTRUSTED_SIGNER": (
            "Sign the package again with a profile in lambda.trusted_signing_profiles (the AWS Signer "
            "profiles trusted to sign Lambda code) and redeploy it; if the profile in the reasons is yours "
            "and trustworthy, ask the provenance-guard policy owners to add it there."
        ),
        "SIGNATURE_REVOKED": (
            "The signature was revoked: find out why, sign the code again with a valid profile, redeploy it, "
            "publish a version and move the aliases to it."
        ),
        "SIGNATURE_EXPIRED": (
            "Sign the code again (aws signer start-signing-job), redeploy it, publish a version and move the "
            "aliases to it."
        ),
    },
    nist=("CM-14", "SI-7", "SI-7(15)"),
    cis=("2.5",),
)
def code_signed_by_trusted_profile(
    fn: LambdaFunctionSnapshot, policy: Policy, ctx: EvaluationContext
) -> Verdict | None:
    """The code of $LATEST and of every version an alias points to was signed by a profile in
    lambda.trusted_signing_profiles (its SigningProfileVersionArn), with a signature that is neither revoked
    nor expired. Code deployed before a code signing configuration was attached has no signature and fails.
    Not judged for container images."""
    if fn.is_image:
        return None
    trusted = policy.lambda_.trusted_signing_profiles
    evidence = {"JudgedVersions": "; ".join(v.label for v in fn.versions)}
    evidence.update({f"Signature.{v.version}": _signature(v) for v in fn.versions})
    reasons = [reason for version in fn.versions for reason in _signature_problems(version, trusted, ctx)]
    if reasons:
        return Verdict.failed("PG.LAMBDA.3", tuple(reasons), evidence)
    return Verdict.passed(
        "PG.LAMBDA.3", f"the code of {len(fn.versions)} judged version(s) is signed by a trusted profile", evidence
    )


def _signature(version: FunctionVersion) -> str:
    if not version.signing_profile_version_arn:
        return "unsigned"
    text = f"{version.signing_profile_version_arn} (job {version.signing_job_arn or '-'})"
    job = version.signing_job
    if job is not None and job.error:
        text += f"; job not readable: {job.error}"
    return text


def _signature_problems(version: FunctionVersion, trusted: tuple[str, ...], ctx: EvaluationContext) -> list[Reason]:
    label, profile = version.label, version.signing_profile_version_arn
    if not profile:
        why = f"{label}: the deployed code carries no signature (deployed without a code signing configuration)"
        return [Reason("UNSIGNED_CODE", why)]
    if trusted_profile(profile, trusted) is None:
        return [Reason("UNTRUSTED_SIGNER", f"{label}: signed by {profile}, not in lambda.trusted_signing_profiles")]
    job = version.signing_job
    if job is None or job.error:
        return []
    if job.revoked_reason:
        when = f" on {job.revoked_at.date().isoformat()}" if job.revoked_at else ""
        return [Reason("SIGNATURE_REVOKED", f"{label}: the signature was revoked{when} ({job.revoked_reason})")]
    if job.expires_at is not None and job.expires_at <= ctx.now:
        return [Reason("SIGNATURE_EXPIRED", f"{label}: the signature expired on {job.expires_at.date().isoformat()}")]
    return []
