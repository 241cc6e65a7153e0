"""controls/lambda_runtime.py: PG.LAMBDA.4 (layers) and PG.LAMBDA.5 (runtime), and the shipped runtime table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from botocore.loaders import Loader

from provenance_guard.collect.lambda_model import LayerUse
from provenance_guard.controls import registry
from provenance_guard.controls.registry import EvaluationContext
from provenance_guard.lambda_runtimes import runtime_table
from provenance_guard.model import Severity, Status, Verdict
from tests.unit.lambda_support import PROFILE_VERSION_ARN, function_snapshot, function_version, lambda_policy
from tests.unit.support import ACCOUNT, REGION, T0
from tests.unit.support import CONTEXT as CTX

OWN_LAYER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:shared-utils:4"
VENDOR = "444455556666"
VENDOR_LAYER = f"arn:aws:lambda:{REGION}:{VENDOR}:layer:vendor-sdk:12"
NIGHTLY = f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/nightly/9f8e7d6c5b"


def judge(control_id: str, snapshot: Any, policy: Any = None, ctx: EvaluationContext = CTX) -> Verdict | None:
    return registry.get(control_id).evaluate(snapshot, policy or lambda_policy(), ctx)


def layer(arn: str, profile: str | None = None) -> LayerUse:
    return LayerUse(arn, arn.split(":")[4], profile, None)


def with_layers(*layers: LayerUse, version: str = "$LATEST", aliases: tuple[str, ...] = ()) -> Any:
    return function_version(version, layers=layers, aliases=aliases)


# --- PG.LAMBDA.4 ---------------------------------------------------------------------------------------


def test_no_layers_passes() -> None:
    verdict = judge("PG.LAMBDA.4", function_snapshot())
    assert verdict is not None
    assert (verdict.status, verdict.reasons[0].description) == (Status.PASSED, "the function uses no layers")


def test_own_layers_pass_through_self() -> None:
    verdict = judge("PG.LAMBDA.4", function_snapshot(with_layers(layer(OWN_LAYER))))
    assert verdict is not None
    assert verdict.status is Status.PASSED


def test_a_foreign_layer_fails_naming_account_and_versions() -> None:
    snapshot = function_snapshot(
        with_layers(layer(OWN_LAYER)), with_layers(layer(VENDOR_LAYER), version="5", aliases=("live",))
    )
    verdict = judge("PG.LAMBDA.4", snapshot)
    assert verdict is not None
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].description == (
        f"layer {VENDOR_LAYER} (version 5 (alias live)) comes from account {VENDOR}, not a trusted layer account"
    )


def test_an_account_listed_in_the_policy_is_trusted() -> None:
    policy = lambda_policy(trusted_layer_accounts=["self", VENDOR])
    verdict = judge("PG.LAMBDA.4", function_snapshot(with_layers(layer(VENDOR_LAYER))), policy)
    assert verdict is not None
    assert verdict.status is Status.PASSED


def test_an_aws_provided_layer_names_no_account_and_is_not_trusted() -> None:
    aws_layer = LayerUse("arn:aws:lambda:::awslayer:AmazonLinux1703", None, None, None)
    verdict = judge("PG.LAMBDA.4", function_snapshot(with_layers(aws_layer)))
    assert verdict is not None
    assert verdict.status is Status.FAILED
    assert "an account it does not name" in verdict.reasons[0].description


def test_signed_layers_are_required_only_when_the_policy_says_so() -> None:
    snapshot = function_snapshot(with_layers(layer(OWN_LAYER), layer(f"{OWN_LAYER[:-1]}5", NIGHTLY)))
    assert judge("PG.LAMBDA.4", snapshot).status is Status.PASSED  # type: ignore[union-attr]
    verdict = judge("PG.LAMBDA.4", snapshot, lambda_policy(require_signed_layers=True))
    assert verdict is not None
    assert [r.code for r in verdict.reasons] == ["UNSIGNED_LAYER", "UNTRUSTED_LAYER_SIGNER"]
    signed = function_snapshot(with_layers(layer(OWN_LAYER, PROFILE_VERSION_ARN)))
    assert judge("PG.LAMBDA.4", signed, lambda_policy(require_signed_layers=True)).status is Status.PASSED  # type: ignore[union-attr]


def test_layers_are_not_judged_for_container_images() -> None:
    assert judge("PG.LAMBDA.4", function_snapshot(package_type="Image")) is None


# --- PG.LAMBDA.5 ---------------------------------------------------------------------------------------


def on(day: date) -> EvaluationContext:
    return replace(CTX, now=datetime(day.year, day.month, day.day, 12, tzinfo=UTC))


def runtime(name: str, version: str = "$LATEST", aliases: tuple[str, ...] = ()) -> Any:
    return function_version(version, runtime=name, aliases=aliases)


def test_a_supported_runtime_passes() -> None:
    verdict = judge("PG.LAMBDA.5", function_snapshot(runtime("python3.12")))
    assert verdict is not None
    assert verdict.status is Status.PASSED
    assert verdict.evidence["Runtimes"] == "$LATEST: python3.12 (deprecation 2028-10-31)"
    assert verdict.evidence["RuntimeTable"].startswith(
        "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
    )


def test_a_deprecated_runtime_fails_with_the_block_dates() -> None:
    verdict = judge("PG.LAMBDA.5", function_snapshot(runtime("python3.12"), runtime("python3.8", "2", ("live",))))
    assert verdict is not None
    assert verdict.status is Status.FAILED
    assert verdict.severity is None, "MEDIUM while updates are still possible"
    assert verdict.reasons[0].description == (
        "version 2 (alias live): runtime python3.8 is deprecated since 2024-10-14 "
        "(creating functions blocked from 2027-02-01; updates blocked from 2027-03-03)"
    )


def test_once_updates_are_blocked_the_failure_is_high() -> None:
    verdict = judge("PG.LAMBDA.5", function_snapshot(runtime("python3.8")), ctx=on(date(2027, 3, 3)))
    assert verdict is not None
    assert verdict.severity is Severity.HIGH


@pytest.mark.parametrize(
    ("day", "status"),
    [
        (date(2028, 9, 1), Status.PASSED),  # 60 days before python3.12's 2028-10-31 is 2028-09-01
        (date(2028, 9, 2), Status.FAILED),
        (date(2028, 10, 31), Status.FAILED),
    ],
)
def test_the_warning_window_comes_from_the_policy(day: date, status: Status) -> None:
    verdict = judge("PG.LAMBDA.5", function_snapshot(runtime("python3.12")), ctx=on(day))
    assert verdict is not None
    assert verdict.status is status


def test_a_wider_warning_window_fails_earlier() -> None:
    policy = lambda_policy(runtime_deprecation_warning_days=400)
    verdict = judge("PG.LAMBDA.5", function_snapshot(runtime("python3.12")), policy, on(date(2027, 10, 1)))
    assert verdict is not None
    assert [r.code for r in verdict.reasons] == ["RUNTIME_DEPRECATION_SOON"]
    assert "within lambda.runtime_deprecation_warning_days (400)" in verdict.reasons[0].description


def test_an_unknown_runtime_is_not_available() -> None:
    verdict = judge("PG.LAMBDA.5", function_snapshot(runtime("python3.15")))
    assert verdict is not None
    assert verdict.status is Status.NOT_AVAILABLE
    assert "python3.15 is not in the runtime table" in verdict.reasons[0].description


def test_a_failure_outweighs_an_unknown_runtime() -> None:
    verdict = judge("PG.LAMBDA.5", function_snapshot(runtime("python3.15"), runtime("python3.8", "2")))
    assert verdict is not None
    assert verdict.status is Status.FAILED


def test_runtimes_are_not_judged_for_container_images() -> None:
    assert judge("PG.LAMBDA.5", function_snapshot(runtime("python3.8"), package_type="Image")) is None


def test_the_result_is_stable_until_the_window_opens() -> None:
    snapshot = function_snapshot(runtime("python3.12"))
    assert judge("PG.LAMBDA.5", snapshot) == judge(
        "PG.LAMBDA.5", snapshot, ctx=replace(CTX, now=T0 + timedelta(days=1))
    )


# --- the runtime table ---------------------------------------------------------------------------------


def test_the_table_names_its_source_page_and_the_day_it_was_read() -> None:
    table = runtime_table()
    assert table.source_page == "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
    assert table.read_on == date(2026, 11, 28)


def test_every_table_runtime_is_a_lambda_runtime_identifier() -> None:
    identifiers = set(Loader().load_service_model("lambda", "service-2")["shapes"]["Runtime"]["enum"])
    table = runtime_table()
    assert set(table.runtimes) <= identifiers
    assert {"python3.14", "nodejs24.x", "java25", "provided.al2023", "python3.8"} <= set(table.runtimes)
    assert all(support.deprecation is not None for support in table.runtimes.values())
