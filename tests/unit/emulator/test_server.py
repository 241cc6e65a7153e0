from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator import server as server_module
from provenance_guard_cli.emulator.faults import FAULTS_PATH
from provenance_guard_cli.emulator.server import EmulatorServer, serve_forever

ACCOUNT = "123456789012"
PRODUCT_ARN = f"arn:aws:securityhub:us-east-1:{ACCOUNT}:product/{ACCOUNT}/default"


@pytest.fixture(scope="module")
def running() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0) as server:
        yield server


@pytest.fixture
def emulator(running: EmulatorServer) -> EmulatorServer:
    running.reset()
    return running


@pytest.fixture
def client(emulator: EmulatorServer, boto_session: Any) -> Callable[[str], Any]:
    def make(service: str) -> Any:
        config = Config(retries={"mode": "standard", "total_max_attempts": 1})
        return boto_session.client(service, endpoint_url=emulator.url, config=config)

    return make


def test_url_is_loopback_with_the_chosen_port(emulator: EmulatorServer) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emulator.url)
    assert not emulator.url.endswith(":0")


def test_url_requires_a_running_server() -> None:
    with pytest.raises(RuntimeError):
        _ = EmulatorServer().url


def test_busy_port_fails_fast(running: EmulatorServer) -> None:
    busy_port = int(running.url.rsplit(":", 1)[1])

    with pytest.raises(OSError, match="not available"):
        EmulatorServer(port=busy_port).start()


def test_ec2_extensions_over_http(client: Callable[[str], Any]) -> None:
    ec2 = client("ec2")
    image_id = ec2.register_image(
        Name="pg-server-image",
        ImdsSupport="v2.0",
        TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "emulator:owner-alias", "Value": "amazon"}]}],
    )["ImageId"]
    deprecate_at = (datetime.now(UTC) + timedelta(days=30)).replace(hour=0, minute=0, second=0, microsecond=0)
    ec2.enable_image_deprecation(ImageId=image_id, DeprecateAt=deprecate_at)
    ec2.modify_image_attribute(ImageId=image_id, Attribute="launchPermission", OperationType="add", UserGroups=["all"])

    image = ec2.describe_images(ImageIds=[image_id])["Images"][0]

    assert (image["ImdsSupport"], image["ImageOwnerAlias"], image["Public"]) == ("v2.0", "amazon", True)
    assert image["DeprecationTime"] == deprecate_at.strftime("%Y-%m-%dT00:00:00.000Z")
    ec2.reset_image_attribute(ImageId=image_id, Attribute="launchPermission")
    assert ec2.describe_images(ImageIds=[image_id])["Images"][0]["Public"] is False


def test_securityhub_extensions_over_http(
    client: Callable[[str], Any], make_finding: Callable[..., dict[str, Any]]
) -> None:
    hub = client("securityhub")
    hub.enable_security_hub()
    assert hub.batch_import_findings(Findings=[make_finding()])["SuccessCount"] == 1

    hub.batch_update_findings(
        FindingIdentifiers=[{"Id": "pg-finding-1", "ProductArn": PRODUCT_ARN}],
        Workflow={"Status": "NOTIFIED"},
    )
    found = hub.get_findings(Filters={"WorkflowStatus": [{"Value": "NOTIFIED", "Comparison": "EQUALS"}]})

    assert [finding["Id"] for finding in found["Findings"]] == ["pg-finding-1"]


def test_imagebuilder_over_http(client: Callable[[str], Any], boto_session: Any, emulator: EmulatorServer) -> None:
    imagebuilder = client("imagebuilder")
    stig = "arn:aws:imagebuilder:us-east-1:aws:component/stig-build-linux-high/2025.1.0/1"
    component_arn = imagebuilder.create_component(
        name="pg-hello", semanticVersion="1.0.0", platform="Linux", data="phases:\n  - name: build\n"
    )["componentBuildVersionArn"]
    recipe_arn = imagebuilder.create_image_recipe(
        name="pg-recipe",
        semanticVersion="1.0.0",
        parentImage="arn:aws:imagebuilder:us-east-1:aws:image/amazon-linux-2023-x86/x.x.x",
        components=[{"componentArn": component_arn}, {"componentArn": stig}],
    )["imageRecipeArn"]
    infrastructure_arn = imagebuilder.create_infrastructure_configuration(
        name="pg-infra", instanceProfileName="pg-builder"
    )["infrastructureConfigurationArn"]
    distribution_arn = imagebuilder.create_distribution_configuration(
        name="pg-dist", distributions=[{"region": "us-east-1"}, {"region": "eu-west-1"}]
    )["distributionConfigurationArn"]
    pipeline_arn = imagebuilder.create_image_pipeline(
        name="pg-pipeline",
        imageRecipeArn=recipe_arn,
        infrastructureConfigurationArn=infrastructure_arn,
        distributionConfigurationArn=distribution_arn,
    )["imagePipelineArn"]

    image_arn = imagebuilder.start_image_pipeline_execution(imagePipelineArn=pipeline_arn)["imageBuildVersionArn"]
    image = imagebuilder.get_image(imageBuildVersionArn=image_arn)["image"]

    assert (image["state"]["status"], image["sourcePipelineArn"]) == ("AVAILABLE", pipeline_arn)
    assert [c["componentArn"] for c in image["imageRecipe"]["components"]] == [component_arn, stig]
    amis = {ami["region"]: ami["image"] for ami in image["outputResources"]["amis"]}
    assert set(amis) == {"us-east-1", "eu-west-1"}
    other_region = boto_session.client("ec2", endpoint_url=emulator.url, region_name="eu-west-1")
    described = other_region.describe_images(ImageIds=[amis["eu-west-1"]])["Images"][0]
    assert {tag["Key"]: tag["Value"] for tag in described["Tags"]}["Ec2ImageBuilderArn"] == image_arn
    with pytest.raises(ClientError) as excinfo:
        imagebuilder.get_image(imageBuildVersionArn=image_arn.replace("/1.0.0/1", "/9.0.0/1"))
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    emulator.reset()

    assert imagebuilder.list_images()["imageVersionList"] == []


def test_codeartifact_and_its_seed_endpoint_over_http(client: Callable[[str], Any], emulator: EmulatorServer) -> None:
    codeartifact = client("codeartifact")
    codeartifact.create_domain(domain="acme")
    codeartifact.create_repository(domain="acme", repository="pypi-store")
    codeartifact.associate_external_connection(domain="acme", repository="pypi-store", externalConnection="public:pypi")
    codeartifact.create_package_group(domain="acme", packageGroup="/pypi//acme~")
    codeartifact.update_package_group_origin_configuration(
        domain="acme", packageGroup="/pypi//acme~", restrictions={"EXTERNAL_UPSTREAM": "BLOCK"}
    )
    external = {"originType": "EXTERNAL", "domainEntryPoint": {"externalConnectionName": "public:pypi"}}

    seeded = emulator.seed_package_version("acme", "pypi-store", "pypi", "requests", "2.31.0", origin=external)
    with pytest.raises(urllib.error.HTTPError) as blocked:
        emulator.seed_package_version("acme", "pypi-store", "pypi", "Acme_Utils", "6.6.6", origin=external)
    with pytest.raises(urllib.error.HTTPError) as invalid:
        emulator.seed_package_version("acme", "pypi-store", "pypi", "x", "1", origin={"originType": "SIDEWAYS"})
    emulator.seed_package_version(
        "acme", "pypi-store", "pypi", "Acme_Utils", "1.0.0", publishedTime="2024-05-01T12:00:00Z"
    )

    assert seeded["packageArn"].endswith(":package/acme/pypi-store/pypi//requests")
    assert seeded["packageVersion"]["origin"] == external
    assert (blocked.value.code, json.loads(blocked.value.read())["error"]) == (409, "OriginBlocked")
    assert invalid.value.code == 400
    version = codeartifact.describe_package_version(
        domain="acme", repository="pypi-store", format="pypi", package="acme-utils", packageVersion="1.0.0"
    )["packageVersion"]
    assert version["origin"] == {"originType": "INTERNAL", "domainEntryPoint": {"repositoryName": "pypi-store"}}
    assert version["publishedTime"] == datetime(2024, 5, 1, 12, tzinfo=UTC)
    with pytest.raises(ClientError) as excinfo:
        codeartifact.describe_domain(domain="nope")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    emulator.reset()

    assert codeartifact.list_domains()["domains"] == []


def test_reset_forgets_resources(emulator: EmulatorServer, client: Callable[[str], Any]) -> None:
    ec2 = client("ec2")
    ec2.register_image(Name="pg-server-image")

    emulator.reset()

    assert ec2.describe_images(Owners=["self"])["Images"] == []


def test_faults_over_http(emulator: EmulatorServer, client: Callable[[str], Any]) -> None:
    hub = client("securityhub")
    hub.enable_security_hub()
    emulator.inject_faults("securityhub", "GetFindings", "TooManyRequestsException", count=1)
    with urllib.request.urlopen(emulator.url + FAULTS_PATH) as response:
        pending = json.loads(response.read())["faults"]
    assert [fault["error_code"] for fault in pending] == ["TooManyRequestsException"]

    with pytest.raises(ClientError) as excinfo:
        hub.get_findings()

    assert excinfo.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert hub.get_findings()["Findings"] == []


def test_invalid_fault_spec_is_a_400(emulator: EmulatorServer) -> None:
    request = urllib.request.Request(emulator.url + FAULTS_PATH, data=b'{"service": "ec2"}', method="POST")
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request)
    assert excinfo.value.code == 400


def test_serve_forever_prints_the_endpoint_until_interrupted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupt(_: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(server_module, "time", SimpleNamespace(sleep=interrupt))

    serve_forever(0)

    output = capsys.readouterr().out
    url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", output)
    assert url is not None
    assert f"export AWS_ENDPOINT_URL={url.group(1)}" in output
