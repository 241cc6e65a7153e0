"""The text `provenance-guard policy init` writes: the policy of a `Discovery`, as commented YAML.

Values the account owns are written as policy; values of third parties as `# REVIEW` comments; what
only the security team can say as `# FILL IN`. Every string is JSON-quoted (valid YAML, and an account
id stays a string).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from provenance_guard_cli.policy_init import Discovery

STIG_COMPONENTS = (
    "arn:{partition}:imagebuilder:*:aws:component/stig-build-linux-*",
    "arn:{partition}:imagebuilder:*:aws:component/stig-build-windows-*",
)


def render_policy(found: Discovery, today: date) -> str:
    sections = [_header(found, today), _ami(found), _container(found), _lambda(found), _packages(found), _rest()]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def _q(value: str) -> str:
    return json.dumps(value)


def _list(pad: str, key: str, active: Sequence[str], review: Sequence[tuple[str, str]] = ()) -> list[str]:
    """`key:` with the active entries, and the entries to review as comments beneath."""
    if not active:
        lines = [f"{pad}{key}: []"]
        if review:
            lines.append(f"{pad}# REVIEW these, and list the ones you trust under {key} (replacing []):")
            lines += [f"{pad}#   - {_q(value)}   # {why}" for value, why in review]
        return lines
    return [
        f"{pad}{key}:",
        *(f"{pad}  - {_q(value)}" for value in active),
        *(f"{pad}  # - {_q(value)}   # REVIEW: {why}" for value, why in review),
    ]


def _header(found: Discovery, today: date) -> list[str]:
    lines = [
        f"# provenance-guard policy for account {found.account}, written by `provenance-guard policy init` on",
        f"# {today.isoformat()} from what the account uses in {found.region} (read-only). What the account owns is",
        "# policy below; what belongs to others is a `# REVIEW` comment (trust it only if you vouch for it);",
        "# what only you can say is marked FILL IN. Then `provenance-guard policy validate` this file.",
        "# The contract is docs/CONTROLS.md §4; `provenance-guard policy schema` gives editors a JSON Schema.",
    ]
    if found.unreadable:
        lines.append("# Could not be read with these credentials (fill their part in yourself):")
        lines += [f"#   {call}" for call in found.unreadable]
    return [*lines, "version: 1"]


def _ami(found: Discovery) -> list[str]:
    in_use = ", ".join(f"{owner}: {count}" for owner, count in found.instance_owners.most_common()) or "none"
    owners = [
        (owner, f"owns the AMIs of {count} running instance(s), e.g. {found.example_images[owner]}")
        for owner, count in found.instance_owners.most_common()
        if owner not in ("self", "amazon")
    ]
    components = sorted(found.hardening_components) or [c.format(partition=found.partition) for c in STIG_COMPONENTS]
    where = "as this account's recipes use" if found.hardening_components else "AWS-managed STIG"
    organization = [(found.organization_arn, "this account's organization")] if found.organization_arn else []
    return [
        "ami:",
        "  # Who may own the AMIs you run: account ids, self, amazon, aws-marketplace (AWS Marketplace images).",
        f"  # Owners of the AMIs instances here run (owner: instances): {in_use}. Own AMIs: {found.own_images}.",
        *_list("  ", "trusted_owners", ["self", "amazon"], owners),
        "  # Image Builder pipelines whose AMIs are trusted wherever they are shared (this account's own;",
        "  # FILL IN those of your build account if it is another one).",
        *_list("  ", "approved_pipelines", found.pipelines),
        "  hardening:",
        f"    # An AMI is hardened when its recipe contains one of these components ({where}) ...",
        *_list("    ", "required_components", components),
        "    # ... or when it carries every one of these tags with an allowed value, e.g. Hardening: [CIS-Level-1].",
        "    required_tags: {}",
        "  # FILL IN where AMIs may be shared: account ids, organization ARNs, OU ARNs. Public is never allowed.",
        *_list("  ", "allowed_share_targets", [], organization),
        "  max_age_days: 90",
        "  require_deprecation_time: true",
        "  require_encrypted_snapshots: true",
        "  require_imdsv2: true",
        '  trusted_watermarks: []                 # EC2 AMI watermark keys ("<account>:<name>") proving descent',
        "  trusted_base_owners: [amazon, self]    # who may own every ancestor of an AMI",
        "  max_scan_age_days: 30",
        "  fix_sla: {min_severity: HIGH, days: 30}",
        "  allowed_images: {accept_audit_mode: false}",
    ]


def _container(found: Discovery) -> list[str]:
    registries = [
        (upstream, "upstream of a pull-through cache rule") for upstream in sorted(found.pull_through_upstreams)
    ]
    registries += [
        (host, f"{count} Lambda function(s) run images from it")
        for host, count in found.foreign_image_registries.most_common()
    ]
    identities_note = (
        "this account's AWS Signer profiles for container images"
        if found.container_profiles
        else "FILL IN your AWS Signer signing-profile ARNs, or x509.subject: ... of your CA"
    )
    return [
        "container:",
        "  # Registries images and their base images may come from; self = this account's ECR",
        f"  # (repositories here: {found.repositories}).",
        *_list("  ", "trusted_registries", ["self"], registries),
        "  max_age_days: 180",
        "  vulnerability_thresholds: {CRITICAL: 0, HIGH: 0}",
        "  signatures:",
        "    trust_policies:",
        "      - name: release",
        '        scopes: ["*"]',
        "        verification_level: strict     # strict | permissive | audit",
        '        trust_stores: ["signingAuthority:aws-signer"]',
        f"        # {identities_note}; until one is named no signature is trusted.",
        *_list("        ", "trusted_identities", found.container_profiles),
        "    cosign_public_keys: []             # PEM public keys (cosign.pub)",
        "    trust_stores: {}                   # ca:<name> / signingAuthority:<name> -> PEM certificates",
        "    keyless_identities: []             # {issuer: https://..., subject: <glob>}",
        "    timestamp_authorities: {}          # tsa:<name> -> PEM certificates",
        "  allowed_mutable_tags: [latest]",
        "  replicated_repositories: []          # {repositories: [patterns], source: <registry host>}",
        "  provenance:",
        "    trusted_builders: []               # {builder_id: <URI glob>, source_repositories: [<URI globs>]}",
    ]


def _lambda(found: Discovery) -> list[str]:
    publishers = [
        (arn, "an allowed publisher of a code signing config here") for arn in sorted(found.publisher_profiles)
    ]
    layers = [
        (account, f"{count} function(s) use its layers, e.g. {found.example_layers[account]}")
        for account, count in found.layer_accounts.most_common()
    ]
    note = (
        "this account's AWS Lambda signing profiles"
        if found.lambda_profiles
        else "FILL IN the ARNs of your AWS Signer signing profiles"
    )
    return [
        "lambda:",
        f"  # Signing profiles whose signatures are trusted (a profile trusts each of its versions): {note}.",
        *_list("  ", "trusted_signing_profiles", found.lambda_profiles, publishers),
        *_list("  ", "trusted_layer_accounts", ["self"], layers),
        "  require_signed_layers: false",
        "  runtime_deprecation_warning_days: 60",
    ]


def _packages(found: Discovery) -> list[str]:
    principals = [(found.organization_arn, "this account's organization")] if found.organization_arn else []
    return [
        "packages:",
        "  allowed_external_connections: [public:pypi, public:npmjs]",
        "  trusted_domain_owners: [self]",
        "  # FILL IN the namespaces you publish (npm:@acme, pypi:acme-*, maven:com.acme, nuget:Acme.*, generic:acme).",
        "  internal_namespaces: []",
        *_list("  ", "allowed_principals", [], principals),
    ]


def _rest() -> list[str]:
    return [
        "exemptions: []                         # {controls, resources (ARN globs) or tags, reason, expires}",
        "remediation: {}                        # control id -> off | on-demand | automatic",
        "",
        "notifications:",
        "  min_severity: HIGH",
        "  # FILL IN: without an address or a chat channel no one is notified.",
        "  emails: []",
        "  chat: []                             # {platform: slack, workspace_id, channel_id} or teams",
    ]
