"""What Lambda code runs on (CONTROLS.md §1): its layers (PG.LAMBDA.4) and its runtime (PG.LAMBDA.5)."""

from __future__ import annotations

from datetime import date

from provenance_guard.collect.lambda_function import LAMBDA_FUNCTION, READ_FUNCTION
from provenance_guard.collect.lambda_model import FunctionVersion, LambdaFunctionSnapshot, LayerUse
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.lambda_identifiers import trusted_profile
from provenance_guard.lambda_runtimes import RuntimeSupport, runtime_table
from provenance_guard.model import Reason, Severity, Status, Verdict
from provenance_guard.policy import Policy


@registry.register(
    id="PG.LAMBDA.4",
    title="Lambda layers should come from trusted accounts (and be signed when the policy requires it)",
    severity=Severity.HIGH,
    resource_kind=LAMBDA_FUNCTION,
    remediation_text=(
        "Publish the layer in your own account or an account listed in lambda.trusted_layer_accounts (after review), "
        "sign it with a trusted AWS Signer profile when lambda.require_signed_layers is on, and update the function "
        "and its published versions to that layer version."
    ),
    remediation_url="https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html",
    permissions=READ_FUNCTION,
    remediation_by_reason={
        "UNTRUSTED_LAYER_ACCOUNT": (
            "Publish a reviewed copy of the layer in your own account and update the function and its "
            "published versions to it; if the publishing account is trustworthy, ask the provenance-guard "
            "policy owners to add it to lambda.trusted_layer_accounts (the accounts layers may come from)."
        ),
        "UNSIGNED_LAYER": (
            "Sign the layer package with a profile in lambda.trusted_signing_profiles, publish it as a new "
            "layer version and update the function to it (the policy's lambda.require_signed_layers is on)."
        ),
        "UNTRUSTED_LAYER_SIGNER": (
            "Sign the layer again with a profile in lambda.trusted_signing_profiles, publish it as a new "
            "layer version and update the function to it; if the profile in the reasons is trustworthy, ask "
            "the provenance-guard policy owners to add it there."
        ),
    },
    nist=("SR-3", "SR-4", "SR-11", "CM-14"),
    cis=("2.6", "16.5"),
)
def layers_trusted(fn: LambdaFunctionSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict | None:
    """Every layer of $LATEST and of every version an alias points to was published by an account in
    lambda.trusted_layer_accounts (self = this account) and, when lambda.require_signed_layers, is signed by a
    profile in lambda.trusted_signing_profiles. Not judged for container images (they have no layers)."""
    if fn.is_image:
        return None
    settings = policy.lambda_
    trusted_accounts = {ctx.account if a == "self" else a for a in settings.trusted_layer_accounts}
    uses: dict[str, tuple[LayerUse, list[str]]] = {}
    for version in fn.versions:
        for layer in version.layers:
            uses.setdefault(layer.arn, (layer, []))[1].append(version.label)
    evidence = {
        "Layers": "; ".join(f"{arn} ({', '.join(labels)})" for arn, (_, labels) in uses.items()) or "none",
        "TrustedLayerAccounts": ", ".join(settings.trusted_layer_accounts) or "-",
        "RequireSignedLayers": str(settings.require_signed_layers).lower(),
    }
    reasons = []
    for arn, (layer, labels) in uses.items():
        where = f"layer {arn} ({', '.join(labels)})"
        if layer.owner not in trusted_accounts:
            owner = f"account {layer.owner}" if layer.owner else "an account it does not name"
            reasons.append(
                Reason("UNTRUSTED_LAYER_ACCOUNT", f"{where} comes from {owner}, not a trusted layer account")
            )
        if settings.require_signed_layers:
            profile = layer.signing_profile_version_arn
            if not profile:
                reasons.append(Reason("UNSIGNED_LAYER", f"{where} is not signed"))
            elif trusted_profile(profile, settings.trusted_signing_profiles) is None:
                reasons.append(Reason("UNTRUSTED_LAYER_SIGNER", f"{where} is signed by untrusted profile {profile}"))
    if reasons:
        return Verdict.failed("PG.LAMBDA.4", tuple(reasons), evidence)
    if not uses:
        return Verdict.passed("PG.LAMBDA.4", "the function uses no layers", evidence)
    return Verdict.passed("PG.LAMBDA.4", f"all {len(uses)} layer(s) come from trusted accounts", evidence)


@registry.register(
    id="PG.LAMBDA.5",
    title="Lambda functions should use a supported runtime that is not about to be deprecated",
    severity=Severity.MEDIUM,
    resource_kind=LAMBDA_FUNCTION,
    remediation_text=(
        "Move the function to a supported runtime (aws lambda update-function-configuration --runtime ...), test it, "
        "publish a version and move the aliases to it; once Lambda blocks updates of a deprecated runtime, even "
        "security fixes to the function can no longer be deployed."
    ),
    remediation_url="https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html",
    permissions=READ_FUNCTION,
    related_requirements=("Security Hub CSPM Lambda.2",),
    remediation_by_reason={
        "UNKNOWN_RUNTIME": (
            "provenance-guard's table of Lambda runtimes does not list this runtime: update provenance-guard, "
            "or check the runtime against Lambda's runtime deprecation schedule yourself."
        ),
    },
    nist=("SA-22", "SI-2"),
    cis=("2.2",),
)
def runtime_supported(fn: LambdaFunctionSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict | None:
    """The runtime of $LATEST and of every version an alias points to is not deprecated and is not deprecated
    within lambda.runtime_deprecation_warning_days, per the AWS runtime table shipped with provenance-guard. An
    unknown runtime cannot be judged. Not judged for container images (the image brings its own runtime)."""
    if fn.is_image:
        return None
    table = runtime_table()
    today, warning = ctx.now.date(), policy.lambda_.runtime_deprecation_warning_days
    evidence = {
        "Runtimes": "; ".join(f"{v.label}: {_describe(v, table.get(v.runtime or ''))}" for v in fn.versions),
        "RuntimeDeprecationWarningDays": str(warning),
        "RuntimeTable": f"{table.source_page} (read {table.read_on.isoformat()})",
    }
    failed: list[Reason] = []
    unknown: list[Reason] = []
    severity = Severity.MEDIUM
    for version in fn.versions:
        support = table.get(version.runtime or "")
        if support is None:
            why = f"{version.label}: runtime {version.runtime or 'none'} is not in the runtime table"
            unknown.append(
                Reason("UNKNOWN_RUNTIME", why + f" (read {table.read_on.isoformat()}); update provenance-guard")
            )
            continue
        reason = _runtime_problem(version, support, today, warning)
        if reason is not None:
            failed.append(reason)
            if support.block_update is not None and support.block_update <= today:
                severity = Severity.HIGH
    if failed:
        return Verdict.failed("PG.LAMBDA.5", tuple(failed), evidence, severity if severity is Severity.HIGH else None)
    if unknown:
        return Verdict("PG.LAMBDA.5", Status.NOT_AVAILABLE, tuple(unknown), evidence)
    return Verdict.passed("PG.LAMBDA.5", "every judged version runs on a supported runtime", evidence)


def _describe(version: FunctionVersion, support: RuntimeSupport | None) -> str:
    if support is None:
        return f"{version.runtime or 'none'} (unknown)"
    when = support.deprecation.isoformat() if support.deprecation else "not scheduled"
    return f"{support.identifier} (deprecation {when})"


def _runtime_problem(version: FunctionVersion, support: RuntimeSupport, today: date, warning: int) -> Reason | None:
    deprecation = support.deprecation
    if deprecation is None:
        return None
    blocks = []
    if support.block_create:
        blocks.append(f"creating functions blocked from {support.block_create.isoformat()}")
    if support.block_update:
        blocks.append(f"updates blocked from {support.block_update.isoformat()}")
    detail = f" ({'; '.join(blocks)})" if blocks else ""
    if deprecation <= today:
        why = f"{version.label}: runtime {support.identifier} is deprecated since {deprecation.isoformat()}{detail}"
        return Reason("DEPRECATED_RUNTIME", why)
    if (deprecation - today).days < warning:
        why = (
            f"{version.label}: runtime {support.identifier} is deprecated on {deprecation.isoformat()}, within "
            f"lambda.runtime_deprecation_warning_days ({warning}){detail}"
        )
        return Reason("RUNTIME_DEPRECATION_SOON", why)
    return None
