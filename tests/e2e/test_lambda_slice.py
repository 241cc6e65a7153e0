"""The Lambda family end to end: every CloudTrail trigger -> the stack's rule -> the lambda_changes handler ->
findings in the emulator's Security Hub. Functions are made through the emulator's Lambda and Signer APIs
(signed packages, code signing configurations, aliases); events are the documented CloudTrail records."""

from __future__ import annotations

from typing import Any

import pytest

from provenance_guard_cli.replay import EventResult
from provenance_guard_cli.sample_account import ACCOUNT, REGION
from provenance_guard_cli.sample_lambda import RELEASE_PROFILE, LambdaAccount, cloudtrail, package

pytestmark = pytest.mark.e2e
ZIP_CONTROLS = {f"PG.LAMBDA.{n}" for n in range(1, 6)}


def arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def by_control(result: EventResult, name: str) -> dict[str, dict[str, Any]]:
    return {f["Compliance"]["SecurityControlId"]: f for f in result.findings if f["Resources"][0]["Id"] == arn(name)}


def status(result: EventResult, name: str) -> dict[str, str]:
    return {control: f["Compliance"]["Status"] for control, f in by_control(result, name).items()}


def routed_once(result: EventResult) -> None:
    assert [(i.function, i.failed_records) for i in result.invocations] == [("lambda_changes", 0)]


@pytest.fixture
def account(client: Any, backing: Any) -> LambdaAccount:
    return LambdaAccount(client)


def warn_config(account: LambdaAccount) -> str:
    return str(
        account.lam.create_code_signing_config(
            AllowedPublishers={"SigningProfileVersionArns": [account.release["profileVersionArn"]]},
            CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Warn"},
        )["CodeSigningConfig"]["CodeSigningConfigArn"]
    )


def test_create_function_of_signed_code_passes_every_zip_control(account: LambdaAccount, replayer: Any) -> None:
    account.deploy_signed_release("billing")

    result = replayer.replay(cloudtrail("cloudtrail-lambda-createfunction.json", functionName="billing"), "create")

    routed_once(result)
    assert status(result, "billing") == dict.fromkeys(ZIP_CONTROLS, "PASSED")
    evidence = by_control(result, "billing")["PG.LAMBDA.3"]["ProductFields"]
    assert evidence["provenance-guard/Evidence/JudgedVersions"] == "$LATEST; version 1 (alias live)"
    assert f"/signing-profiles/{RELEASE_PROFILE}/" in evidence["provenance-guard/Evidence/Signature.1"]


def test_update_function_code_judges_the_new_code_and_names_the_failing_version(
    account: LambdaAccount, replayer: Any
) -> None:
    config = warn_config(account)
    account.create("billing", Code=account.signed_package(RELEASE_PROFILE), CodeSigningConfigArn=config, Publish=True)
    account.lam.create_alias(FunctionName="billing", Name="live", FunctionVersion="1")
    account.lam.update_function_code(FunctionName="billing", ZipFile=package("hotfix = True\n"))  # Warn: deployed

    result = replayer.replay(cloudtrail("cloudtrail-lambda-updatefunctioncode.json", functionName="billing"), "hotfix")

    routed_once(result)
    found = by_control(result, "billing")
    assert found["PG.LAMBDA.1"]["Compliance"]["Status"] == "FAILED"  # Warn
    reasons = [r["Description"] for r in found["PG.LAMBDA.3"]["Compliance"]["StatusReasons"]]
    assert reasons == [
        "$LATEST: the deployed code carries no signature (deployed without a code signing configuration)"
    ]


def test_update_function_configuration_to_a_deprecated_runtime_fails_pg_lambda_5(
    account: LambdaAccount, replayer: Any
) -> None:
    account.deploy_signed_release("billing")
    account.lam.update_function_configuration(FunctionName="billing", Runtime="python3.8")

    result = replayer.replay(
        cloudtrail("cloudtrail-lambda-updatefunctionconfiguration.json", functionName="billing"), "runtime"
    )

    routed_once(result)
    assert status(result, "billing")["PG.LAMBDA.5"] == "FAILED"
    reason = by_control(result, "billing")["PG.LAMBDA.5"]["Compliance"]["StatusReasons"][0]["Description"]
    assert reason.startswith("$LATEST: runtime python3.8 is deprecated since 2024-10-14")


def test_a_config_attached_after_deployment_does_not_make_old_code_signed(
    account: LambdaAccount, replayer: Any
) -> None:
    account.create("legacy")
    account.lam.put_function_code_signing_config(FunctionName="legacy", CodeSigningConfigArn=account.config)

    result = replayer.replay(
        cloudtrail(
            "cloudtrail-lambda-putfunctioncodesigningconfig.json",
            functionName="legacy",
            codeSigningConfigArn=account.config,
        ),
        "attach",
    )

    routed_once(result)
    outcome = status(result, "legacy")
    assert (outcome["PG.LAMBDA.1"], outcome["PG.LAMBDA.2"], outcome["PG.LAMBDA.3"]) == ("PASSED", "PASSED", "FAILED")


def test_removing_the_config_fails_pg_lambda_1_but_the_code_stays_signed(account: LambdaAccount, replayer: Any) -> None:
    account.deploy_signed_release("billing")
    replayer.replay(cloudtrail("cloudtrail-lambda-createfunction.json", functionName="billing"), "create")
    account.lam.delete_function_code_signing_config(FunctionName="billing")

    result = replayer.replay(
        cloudtrail("cloudtrail-lambda-deletefunctioncodesigningconfig.json", functionName="billing"), "detach"
    )

    routed_once(result)
    changed = status(result, "billing")
    assert changed["PG.LAMBDA.1"] == "FAILED"
    assert changed["PG.LAMBDA.2"] == "NOT_AVAILABLE"
    assert "PG.LAMBDA.3" not in changed, "unchanged (still signed): not re-imported"
    assert [n["attributes"]["control"] for n in result.notifications] == ["PG.LAMBDA.1"]


def test_update_code_signing_config_re_judges_every_function_using_it(account: LambdaAccount, replayer: Any) -> None:
    for name in ("billing", "invoices"):
        account.deploy_signed_release(name)
        replayer.replay(cloudtrail("cloudtrail-lambda-createfunction.json", functionName=name), name)
    account.create("unrelated")
    account.allow_nightly_publisher()

    result = replayer.replay(
        cloudtrail("cloudtrail-lambda-updatecodesigningconfig.json", codeSigningConfigArn=account.config), "publisher"
    )

    routed_once(result)
    assert {f["Resources"][0]["Id"] for f in result.findings} == {arn("billing"), arn("invoices")}
    assert {f["Compliance"]["SecurityControlId"] for f in result.findings} == {"PG.LAMBDA.2"}
    assert status(result, "billing") == status(result, "invoices") == {"PG.LAMBDA.2": "FAILED"}


def test_delete_code_signing_config_is_routed_and_changes_nothing(account: LambdaAccount, replayer: Any) -> None:
    unused = warn_config(account)
    account.lam.delete_code_signing_config(CodeSigningConfigArn=unused)

    result = replayer.replay(
        cloudtrail("cloudtrail-lambda-deletecodesigningconfig.json", codeSigningConfigArn=unused), "delete config"
    )

    routed_once(result)
    assert result.findings == []


def test_delete_function_archives_its_findings(account: LambdaAccount, replayer: Any) -> None:
    account.create("scratch")
    replayer.replay(cloudtrail("cloudtrail-lambda-createfunction.json", functionName="scratch"), "create")
    account.lam.delete_function(FunctionName="scratch")

    result = replayer.replay(cloudtrail("cloudtrail-lambda-deletefunction.json", functionName="scratch"), "delete")

    routed_once(result)
    archived = by_control(result, "scratch")
    assert set(archived) == ZIP_CONTROLS
    assert {f["RecordState"] for f in archived.values()} == {"ARCHIVED"}


def test_a_failed_call_is_routed_and_changes_nothing(account: LambdaAccount, replayer: Any) -> None:
    account.create("basic-node-task")
    result = replayer.replay(cloudtrail("cloudtrail-lambda-deletefunction-accessdenied.json"), "denied")
    routed_once(result)
    assert result.findings == []


def test_qualified_and_unqualified_arns_in_events_update_the_same_findings(
    account: LambdaAccount, replayer: Any
) -> None:
    account.deploy_signed_release("billing")
    first = replayer.replay(cloudtrail("cloudtrail-lambda-createfunction.json", functionName="billing"), "by name")
    account.lam.update_function_configuration(FunctionName="billing", Runtime="python3.8")

    second = replayer.replay(
        cloudtrail("cloudtrail-lambda-updatefunctionconfiguration.json", functionName=f"{arn('billing')}:live"),
        "by qualified ARN",
    )

    assert {f["Id"] for f in second.findings} == {f["Id"] for f in first.findings}, "updated, not new findings"
    assert status(second, "billing")["PG.LAMBDA.5"] == "FAILED"
    assert {f["Resources"][0]["Id"] for f in second.findings} == {arn("billing")}
