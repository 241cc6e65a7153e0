"""`provenance-guard policy init` against the emulated account (moto in-process, with the project's
extensions): what the account owns becomes policy, what others own becomes a REVIEW comment, the
result validates, an existing file is kept unless --force, and an unreadable part is named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from provenance_guard.controls import full_context
from provenance_guard.policy import Policy, check_document
from provenance_guard_cli.main import main
from tests.unit.emulator.test_imagebuilder import STIG, component, infrastructure, recipe
from tests.unit.lambda_support import (
    FOREIGN_ACCOUNT,
    LAMBDA_PLATFORM,
    archive,
    code_signing_config,
    create_function,
    shared_layer,
)
from tests.unit.support import ACCOUNT, REGION

THIRD_PARTY = "444455556666"
NOTATION_PLATFORM = "Notation-OCI-SHA384-ECDSA"


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def launch(ec2: Any, image_id: str) -> None:
    ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, InstanceType="t3.micro")


@pytest.fixture
def account(aws: None) -> dict[str, str]:
    """An account with AMIs of its own, Amazon and a third party running, a golden pipeline whose recipe
    uses STIG, ECR with a pull-through cache, signing profiles, a function with another account's layer
    under a code signing config that allows another account's profile, and an organization."""
    ec2 = client("ec2")
    own = ec2.register_image(Name="own-golden")["ImageId"]
    amazon = ec2.register_image(
        Name="al2023", TagSpecifications=[{"ResourceType": "image", "Tags": [
            {"Key": "emulator:owner-id", "Value": "137112412989"}, {"Key": "emulator:owner-alias", "Value": "amazon"}]}]
    )["ImageId"]  # fmt: skip
    third = ec2.register_image(
        Name="vendor",
        TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "emulator:owner-id", "Value": THIRD_PARTY}]}],
    )["ImageId"]
    for image in (own, amazon, third, third):
        launch(ec2, image)

    imagebuilder = client("imagebuilder")
    pipeline = imagebuilder.create_image_pipeline(
        name="golden-al2023",
        imageRecipeArn=recipe(imagebuilder, [component(imagebuilder), STIG]),
        infrastructureConfigurationArn=infrastructure(imagebuilder),
    )["imagePipelineArn"]

    ecr = client("ecr")
    ecr.create_repository(repositoryName="team/app")
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ecr-public", upstreamRegistryUrl="public.ecr.aws")

    signer = client("signer")
    lambda_profile = signer.put_signing_profile(profileName="release", platformId=LAMBDA_PLATFORM)["arn"]
    container_profile = signer.put_signing_profile(profileName="containers", platformId=NOTATION_PLATFORM)["arn"]
    signer.put_signing_profile(profileName="retired", platformId=LAMBDA_PLATFORM)
    signer.cancel_signing_profile(profileName="retired")

    lam, iam = client("lambda"), client("iam")
    foreign_profile = f"arn:aws:signer:{REGION}:{FOREIGN_ACCOUNT}:/signing-profiles/vendor"
    config = code_signing_config(lam, f"{foreign_profile}/a1b2c3d4e5", f"{lambda_profile}/b1b2c3d4e5")
    layer = shared_layer(archive())
    create_function(lam, iam, "billing", Layers=[layer])
    lam.put_function_code_signing_config(CodeSigningConfigArn=config, FunctionName="billing")

    organization = client("organizations").create_organization(FeatureSet="ALL")["Organization"]["Arn"]
    return {
        "pipeline": pipeline,
        "lambda_profile": lambda_profile,
        "container_profile": container_profile,
        "foreign_profile": foreign_profile,
        "layer": layer,
        "organization": organization,
    }


def init(*args: str) -> int:
    return main(["policy", "init", *args])


def test_init_writes_a_valid_policy_from_what_the_account_uses(account: dict[str, str], tmp_path: Path) -> None:
    output = tmp_path / "policy.yaml"
    assert init("--output", str(output)) == 0
    text = output.read_text()
    policy, problems = check_document(yaml.safe_load(text), full_context())

    assert policy is not None
    assert problems.errors == ()
    assert [w.path for w in problems.warnings] == ["notifications"]  # no one to notify until filled in
    assert text.startswith(f"# provenance-guard policy for account {ACCOUNT}")
    # what the account owns is policy
    assert policy.ami.trusted_owners == ("self", "amazon")
    assert policy.ami.approved_pipelines == (account["pipeline"],)
    assert policy.ami.hardening.required_components == ("arn:aws:imagebuilder:*:aws:component/stig-build-linux-high/*",)
    assert policy.lambda_.trusted_signing_profiles == (account["lambda_profile"],)
    (release,) = policy.container.signatures.trust_policies
    assert release.trusted_identities == (account["container_profile"],)
    # what others own is a comment to review, never trusted
    assert policy.lambda_.trusted_layer_accounts == ("self",)
    assert policy.ami.allowed_share_targets == ()
    assert policy.container.trusted_registries == ("self",)
    review = [line for line in text.splitlines() if "REVIEW" in line]
    assert any(f'"{THIRD_PARTY}"' in line and "2 running instance(s)" in line for line in review)
    assert any(f'"{FOREIGN_ACCOUNT}"' in line and account["layer"] in line for line in review)
    assert any(f'"{account["foreign_profile"]}"' in line for line in review)
    assert any('"public.ecr.aws"' in line and "pull-through" in line for line in review)
    assert text.count(f'"{account["organization"]}"') == 2  # share target and package principal candidates
    assert "retired" not in text
    assert "Could not be read" not in text


def test_init_prints_to_stdout_without_output(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert init() == 0
    text = capsys.readouterr().out
    policy = Policy.from_document(yaml.safe_load(text))
    # an empty account: nothing to trust but itself and Amazon, AWS-managed STIG as hardening evidence
    assert policy.ami.approved_pipelines == ()
    assert policy.ami.hardening.required_components[0].endswith(":aws:component/stig-build-linux-*")
    assert policy.lambda_.trusted_signing_profiles == ()
    assert "FILL IN" in text


def test_init_refuses_to_overwrite_unless_forced(aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "policy.yaml"
    output.write_text("# mine\n")
    assert init("--output", str(output)) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert output.read_text() == "# mine\n"
    assert init("--output", str(output), "--force") == 0
    assert output.read_text().startswith("# provenance-guard policy for account")


def test_a_part_the_credentials_cannot_read_is_named_and_left_to_fill_in(
    account: dict[str, str], emulator_faults: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    emulator_faults("signer", "ListSigningProfiles", "AccessDeniedException", status=403)
    assert init() == 0
    captured = capsys.readouterr()
    assert "#   signer:ListSigningProfiles (AccessDeniedException)" in captured.out
    assert "could not read signer:ListSigningProfiles (AccessDeniedException)" in captured.err
    policy = Policy.from_document(yaml.safe_load(captured.out))
    assert policy.lambda_.trusted_signing_profiles == ()
    assert policy.ami.approved_pipelines == (account["pipeline"],)


def test_init_without_a_region_cannot_run(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    assert init() == 2
