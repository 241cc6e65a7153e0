"""The stack's configuration, read from `cdk.json` context: no AWS calls, no environment lookups."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance_guard.controls import full_context
from provenance_guard.policy import Policy
from provenance_guard.policy_source import check_policy_file
from provenance_guard.regions import partition_of

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A `cdk.json` context value is invalid, or the policy it names is."""


@dataclass(frozen=True)
class StackConfig:
    stack_name: str
    regions: tuple[str, ...]
    """Regions to deploy to, one stack each (`<stack_name>-<region>`); empty: one stack, in the Region
    the CDK CLI targets."""
    policy_file: Path
    policy: Policy
    sweep_schedule: str
    log_retention: str
    """A CloudWatch Logs retention, named as aws_logs.RetentionDays (ONE_YEAR, THREE_MONTHS, ...)."""
    create_trail: bool = False
    """Create a CloudTrail trail of write management events, so CloudTrail-based triggers fire in an
    account that has none (`provenance-guard:create-trail`)."""
    policy_warnings: tuple[str, ...] = ()
    """What `policy validate` would warn about (an expired exemption, no one to notify): synth shows them."""

    @classmethod
    def from_context(cls, context: Mapping[str, Any], root: Path = PROJECT_ROOT) -> StackConfig:
        """Build from the app's context (cdk.json or `-c key=value`). An invalid policy fails synth."""
        policy_file = root / str(context.get("provenance-guard:policy", "policy.yaml"))
        if not policy_file.exists():
            raise ConfigError(f"policy file {policy_file} does not exist")
        schedule = str(context.get("provenance-guard:sweep-schedule", "rate(1 day)"))
        if not schedule.startswith(("rate(", "cron(")):
            raise ConfigError(f"provenance-guard:sweep-schedule must be rate(...) or cron(...), got {schedule!r}")
        policy, problems = check_policy_file(str(policy_file), full_context())
        if policy is None:
            listed = "\n".join(f"  {error}" for error in problems.errors)
            raise ConfigError(
                f"policy file {policy_file} is invalid ({len(problems.errors)} errors; "
                f"`provenance-guard policy validate {policy_file.name}` lists them too):\n{listed}"
            )
        return cls(
            stack_name=str(context.get("provenance-guard:stack-name", "ProvenanceGuard")),
            regions=_regions(context.get("provenance-guard:regions", [])),
            policy_file=policy_file,
            policy=policy,
            policy_warnings=tuple(f"{policy_file.name}: {warning}" for warning in problems.warnings),
            sweep_schedule=schedule,
            log_retention=str(context.get("provenance-guard:log-retention", "ONE_YEAR")),
            create_trail=_flag(context, "provenance-guard:create-trail"),
        )


def _regions(value: object) -> tuple[str, ...]:
    if isinstance(value, str):  # `-c provenance-guard:regions=us-east-1,eu-west-1`
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(r, str) and r.count("-") >= 2 for r in value):
        raise ConfigError(f"provenance-guard:regions must be a list of Region names, got {value!r}")
    if len(set(value)) != len(value):
        raise ConfigError(f"provenance-guard:regions lists a Region twice: {value!r}")
    unknown = [region for region in value if partition_of(region) is None]
    if unknown:  # its functions would reject every event of their own Region (provenance_guard.regions)
        raise ConfigError(f"provenance-guard:regions: the layer's botocore knows no Region {', '.join(unknown)}")
    return tuple(value)


def _flag(context: Mapping[str, Any], key: str) -> bool:
    """A boolean context value: JSON true/false in cdk.json, or the strings "true"/"false" from `-c`."""
    value = context.get(key, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ConfigError(f"{key} must be true or false, got {value!r}")
