from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import ServiceModel

from provenance_guard_cli.emulator import imagebuilder as imagebuilder_module
from provenance_guard_cli.emulator.faults import inject_faults
from provenance_guard_cli.emulator.imagebuilder_model import imagebuilder_backends

ACCOUNT = "123456789012"
REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
STIG = f"arn:aws:imagebuilder:{REGION}:aws:component/stig-build-linux-high/2025.1.0/1"
CIS = f"arn:aws:imagebuilder:{REGION}:aws-marketplace:component/cis-hardening-amazon-linux-2023-level-1/1.0.0/1"
PARENT = f"arn:aws:imagebuilder:{REGION}:aws:image/amazon-linux-2023-x86/x.x.x"
ORG_ARN = "arn:aws:organizations::111111111111:organization/o-abcdefghij"
DOCUMENT = """\
name: pg-hello
schemaVersion: 1.0
parameters:
  - Greeting:
      type: string
      default: hello
      description: What to say
phases:
  - name: build
    steps:
      - name: Hello
        action: ExecuteBash
        inputs:
          commands: ["echo {{ Greeting }}"]
"""
TEST_DOCUMENT = "schemaVersion: 1.0\nphases:\n  - name: test\n    steps: []\n"
EMULATOR_DIR = Path(imagebuilder_module.__file__).parent


@pytest.fixture(scope="module")
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("imagebuilder")


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = excinfo.value.response
    return str(response["Error"]["Code"]), int(response["ResponseMetadata"]["HTTPStatusCode"])


def component(imagebuilder: Any, name: str = "pg-hello", version: str = "1.0.0", **kwargs: Any) -> str:
    kwargs.setdefault("platform", "Linux")
    kwargs.setdefault("data", DOCUMENT)
    arn: str = imagebuilder.create_component(name=name, semanticVersion=version, **kwargs)["componentBuildVersionArn"]
    return arn


def recipe(imagebuilder: Any, components: list[str], name: str = "pg-recipe", **kwargs: Any) -> str:
    kwargs.setdefault("parentImage", PARENT)
    kwargs.setdefault("semanticVersion", "1.0.0")
    arn: str = imagebuilder.create_image_recipe(
        name=name, components=[{"componentArn": arn} for arn in components], **kwargs
    )["imageRecipeArn"]
    return arn


def infrastructure(imagebuilder: Any, name: str = "pg-infra") -> str:
    arn: str = imagebuilder.create_infrastructure_configuration(name=name, instanceProfileName="pg-builder")[
        "infrastructureConfigurationArn"
    ]
    return arn


def distribution(imagebuilder: Any, distributions: list[dict[str, Any]], name: str = "pg-dist") -> str:
    arn: str = imagebuilder.create_distribution_configuration(name=name, distributions=distributions)[
        "distributionConfigurationArn"
    ]
    return arn


def build(imagebuilder: Any, **recipe_kwargs: Any) -> dict[str, Any]:
    """A recipe built by CreateImage with no distribution configuration; GetImage's ``image``."""
    recipe_arn = recipe(imagebuilder, [component(imagebuilder), STIG], **recipe_kwargs)
    image_arn = imagebuilder.create_image(
        imageRecipeArn=recipe_arn, infrastructureConfigurationArn=infrastructure(imagebuilder)
    )["imageBuildVersionArn"]
    image: dict[str, Any] = imagebuilder.get_image(imageBuildVersionArn=image_arn)["image"]
    return image


def tags_of(image: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in image.get("Tags", [])}


def test_pipeline_build_registers_amis_in_every_distribution_region(
    imagebuilder: Any, boto_session: Any, ec2: Any
) -> None:
    own = component(imagebuilder)
    recipe_arn = recipe(imagebuilder, [own, STIG, CIS])
    distribution_arn = distribution(
        imagebuilder,
        [
            {
                "region": REGION,
                "amiDistributionConfiguration": {
                    "name": "pg-hardened {{ imagebuilder:buildDate }}",
                    "amiTags": {"team": "security"},
                    "launchPermission": {"userIds": ["111122223333"], "organizationArns": [ORG_ARN]},
                },
            },
            {"region": OTHER_REGION},
        ],
    )
    pipeline_arn = imagebuilder.create_image_pipeline(
        name="pg-pipeline",
        imageRecipeArn=recipe_arn,
        infrastructureConfigurationArn=infrastructure(imagebuilder),
        distributionConfigurationArn=distribution_arn,
        imageTags={"pipeline": "pg"},
    )["imagePipelineArn"]

    image_arn = imagebuilder.start_image_pipeline_execution(imagePipelineArn=pipeline_arn)["imageBuildVersionArn"]
    image = imagebuilder.get_image(imageBuildVersionArn=image_arn)["image"]

    assert image_arn == f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image/pg-recipe/1.0.0/1"
    assert (image["arn"], image["name"], image["version"]) == (image_arn, "pg-recipe", "1.0.0/1")
    assert image["state"] == {"status": "AVAILABLE"}
    assert (image["sourcePipelineArn"], image["sourcePipelineName"]) == (pipeline_arn, "pg-pipeline")
    assert [c["componentArn"] for c in image["imageRecipe"]["components"]] == [own, STIG, CIS]
    assert image["imageRecipe"]["parentImage"] == PARENT
    assert image["distributionConfiguration"]["arn"] == distribution_arn
    assert image["tags"] == {"pipeline": "pg"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", image["dateCreated"])
    amis = image["outputResources"]["amis"]
    assert [(ami["region"], ami["accountId"]) for ami in amis] == [(REGION, ACCOUNT), (OTHER_REGION, ACCOUNT)]
    assert re.fullmatch(r"pg-hardened \d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z", amis[0]["name"])

    described = ec2.describe_images(ImageIds=[amis[0]["image"]])["Images"][0]
    assert tags_of(described) == {"Ec2ImageBuilderArn": image_arn, "CreatedBy": "EC2 Image Builder", "team": "security"}
    assert described["Name"] == amis[0]["name"]
    assert described["ImdsSupport"] == "v2.0"
    assert (described["RootDeviceType"], described["RootDeviceName"]) == ("ebs", "/dev/xvda")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", described["CreationDate"])
    root = described["BlockDeviceMappings"][0]["Ebs"]
    assert root["Encrypted"] is True
    snapshot = ec2.describe_snapshots(SnapshotIds=[root["SnapshotId"]])["Snapshots"][0]
    assert snapshot["Encrypted"] is True
    permissions = ec2.describe_image_attribute(ImageId=amis[0]["image"], Attribute="launchPermission")
    assert permissions["LaunchPermissions"] == [{"UserId": "111122223333"}, {"OrganizationArn": ORG_ARN}]

    other = boto_session.client("ec2", region_name=OTHER_REGION).describe_images(ImageIds=[amis[1]["image"]])
    assert tags_of(other["Images"][0])["Ec2ImageBuilderArn"] == image_arn
    assert other["Images"][0]["Name"].startswith("pg-recipe ")

    pipeline = imagebuilder.get_image_pipeline(imagePipelineArn=pipeline_arn)["imagePipeline"]
    assert (pipeline["lastRunStatus"], pipeline["dateLastRun"]) == ("AVAILABLE", image["dateCreated"])
    assert (pipeline["status"], pipeline["platform"]) == ("ENABLED", "Linux")


def test_create_image_builds_in_the_callers_region_and_counts_builds(imagebuilder: Any, ec2: Any) -> None:
    recipe_arn = recipe(imagebuilder, [component(imagebuilder)])
    infrastructure_arn = infrastructure(imagebuilder)

    first = imagebuilder.create_image(imageRecipeArn=recipe_arn, infrastructureConfigurationArn=infrastructure_arn)
    second = imagebuilder.create_image(
        imageRecipeArn=recipe_arn, infrastructureConfigurationArn=infrastructure_arn, tags={"run": "2"}
    )

    assert first["imageBuildVersionArn"].endswith("/pg-recipe/1.0.0/1")
    assert second["imageBuildVersionArn"].endswith("/pg-recipe/1.0.0/2")
    assert first["latestVersionReferences"]["latestVersionArn"].endswith(":image/pg-recipe/x.x.x")
    image = imagebuilder.get_image(imageBuildVersionArn=second["imageBuildVersionArn"])["image"]
    assert "sourcePipelineArn" not in image
    assert "distributionConfiguration" not in image
    assert image["tags"] == {"run": "2"}
    assert [ami["region"] for ami in image["outputResources"]["amis"]] == [REGION]
    assert ec2.describe_images(ImageIds=[image["outputResources"]["amis"][0]["image"]])["Images"]
    versionless = second["imageBuildVersionArn"].rsplit("/", 2)[0]
    for selector in ("x.x.x", "1.x.x", "1.0.0"):
        latest = imagebuilder.get_image(imageBuildVersionArn=f"{versionless}/{selector}")["image"]
        assert latest["arn"] == second["imageBuildVersionArn"]


@pytest.mark.parametrize(
    ("operation", "member", "arn"),
    [
        ("get_image", "imageBuildVersionArn", f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image/nope/1.0.0/1"),
        ("get_image", "imageBuildVersionArn", f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image/nope/x.x.x"),
        ("get_component", "componentBuildVersionArn", f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:component/no/1.0.0/1"),
        ("get_image_recipe", "imageRecipeArn", f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image-recipe/nope/1.0.0"),
        ("get_image_pipeline", "imagePipelineArn", f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image-pipeline/nope"),
        (
            "start_image_pipeline_execution",
            "imagePipelineArn",
            f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image-pipeline/nope",
        ),
        (
            "get_infrastructure_configuration",
            "infrastructureConfigurationArn",
            f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:infrastructure-configuration/nope",
        ),
        (
            "get_distribution_configuration",
            "distributionConfigurationArn",
            f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:distribution-configuration/nope",
        ),
    ],
)
def test_unknown_arns_are_resource_not_found(imagebuilder: Any, operation: str, member: str, arn: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        getattr(imagebuilder, operation)(**{member: arn})

    assert error_of(excinfo) == ("ResourceNotFoundException", 404)
    assert arn in excinfo.value.response["Error"]["Message"]


def test_image_of_another_region_is_not_found(imagebuilder: Any, boto_session: Any) -> None:
    image = build(imagebuilder)
    elsewhere = boto_session.client("imagebuilder", region_name=OTHER_REGION)

    with pytest.raises(ClientError) as excinfo:
        elsewhere.get_image(imageBuildVersionArn=image["arn"])

    assert error_of(excinfo) == ("ResourceNotFoundException", 404)


def test_recipe_needs_existing_own_components_but_accepts_managed_ones(imagebuilder: Any) -> None:
    missing = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:component/not-created/1.0.0/1"
    with pytest.raises(ClientError) as excinfo:
        recipe(imagebuilder, [STIG, missing])
    assert error_of(excinfo) == ("ResourceNotFoundException", 404)

    own = component(imagebuilder, version="1.2.0")
    wildcard = own.rsplit("/", 2)[0] + "/1.x.x"
    recipe_arn = recipe(imagebuilder, [wildcard, STIG, CIS])

    stored = imagebuilder.get_image_recipe(imageRecipeArn=recipe_arn)["imageRecipe"]
    assert [c["componentArn"] for c in stored["components"]] == [wildcard, STIG, CIS]
    assert (stored["platform"], stored["owner"], stored["type"]) == ("Linux", ACCOUNT, "AMI")
    with pytest.raises(ClientError) as excinfo:
        recipe(imagebuilder, [own.rsplit("/", 2)[0] + "/2.x.x"], name="pg-other")
    assert error_of(excinfo) == ("ResourceNotFoundException", 404)


def test_components_describe_their_document_and_managed_arns(imagebuilder: Any) -> None:
    build_arn = component(imagebuilder, name="PG Hello")
    test_arn = component(imagebuilder, name="pg-check", data=TEST_DOCUMENT)

    found = imagebuilder.get_component(componentBuildVersionArn=build_arn)["component"]
    assert build_arn == f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:component/pg-hello/1.0.0/1"
    assert (found["name"], found["version"], found["type"], found["owner"]) == ("PG Hello", "1.0.0", "BUILD", ACCOUNT)
    assert found["data"] == DOCUMENT
    assert found["state"] == {"status": "ACTIVE"}
    assert found["parameters"] == [
        {"name": "Greeting", "type": "string", "defaultValue": ["hello"], "description": "What to say"}
    ]
    assert imagebuilder.get_component(componentBuildVersionArn=test_arn)["component"]["type"] == "TEST"
    managed = imagebuilder.get_component(componentBuildVersionArn=STIG)["component"]
    assert (managed["arn"], managed["owner"], managed["platform"]) == (STIG, "Amazon", "Linux")


@pytest.mark.parametrize(
    ("create", "code"),
    [
        (lambda ib: component(ib, version="1.0"), "InvalidParameterValueException"),
        (lambda ib: component(ib, name="ab"), "InvalidParameterValueException"),
        (lambda ib: component(ib, platform="Solaris"), "InvalidParameterValueException"),
        (lambda ib: component(ib, uri="s3://bucket/doc.yaml"), "InvalidParameterCombinationException"),
        (lambda ib: component(ib, data="just: a mapping"), "InvalidParameterValueException"),
        (lambda ib: recipe(ib, [STIG], semanticVersion="1.0.x"), "InvalidParameterValueException"),
        (lambda ib: recipe(ib, [STIG], parentImage="ami-0123456789abcdef0"), "InvalidParameterValueException"),
        (
            lambda ib: recipe(ib, ["arn:aws:imagebuilder:us-east-1:aws:component/stig"]),
            "InvalidParameterValueException",
        ),
        (lambda ib: distribution(ib, [{"region": "mars-north-1"}]), "InvalidParameterValueException"),
        (lambda ib: distribution(ib, [{"region": REGION}, {"region": REGION}]), "InvalidParameterValueException"),
        (
            lambda ib: distribution(
                ib, [{"region": REGION, "amiDistributionConfiguration": {"launchPermission": {"userGroups": ["x"]}}}]
            ),
            "InvalidParameterValueException",
        ),
        (
            lambda ib: distribution(
                ib,
                [{"region": REGION, "amiDistributionConfiguration": {"launchPermission": {"userIds": ["12345"]}}}],
            ),
            "InvalidParameterValueException",
        ),
    ],
)
def test_bad_input_is_rejected_like_aws(imagebuilder: Any, create: Callable[[Any], str], code: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        create(imagebuilder)

    assert error_of(excinfo) == (code, 400)


def test_duplicates_already_exist(imagebuilder: Any) -> None:
    own = component(imagebuilder)
    recipe_arn = recipe(imagebuilder, [own])
    infrastructure_arn = infrastructure(imagebuilder)
    distribution(imagebuilder, [{"region": REGION}])
    imagebuilder.create_image_pipeline(
        name="pg-pipeline", imageRecipeArn=recipe_arn, infrastructureConfigurationArn=infrastructure_arn
    )

    for create in (
        lambda: component(imagebuilder),
        lambda: recipe(imagebuilder, [own]),
        lambda: infrastructure(imagebuilder),
        lambda: distribution(imagebuilder, [{"region": OTHER_REGION}]),
        lambda: imagebuilder.create_image_pipeline(
            name="pg-pipeline", imageRecipeArn=recipe_arn, infrastructureConfigurationArn=infrastructure_arn
        ),
    ):
        with pytest.raises(ClientError) as excinfo:
            create()
        assert error_of(excinfo) == ("ResourceAlreadyExistsException", 400)
    assert component(imagebuilder, version="1.0.1").endswith("/pg-hello/1.0.1/1")


def test_client_token_replays_and_rejects_other_parameters(imagebuilder: Any) -> None:
    first = component(imagebuilder, clientToken="token-1")
    assert component(imagebuilder, clientToken="token-1") == first

    with pytest.raises(ClientError) as excinfo:
        component(imagebuilder, version="2.0.0", clientToken="token-1")
    assert error_of(excinfo) == ("IdempotentParameterMismatchException", 400)

    recipe_arn = recipe(imagebuilder, [first])
    pipeline_arn = imagebuilder.create_image_pipeline(
        name="pg-pipeline", imageRecipeArn=recipe_arn, infrastructureConfigurationArn=infrastructure(imagebuilder)
    )["imagePipelineArn"]
    runs = {
        imagebuilder.start_image_pipeline_execution(imagePipelineArn=pipeline_arn, clientToken="run-1")[
            "imageBuildVersionArn"
        ]
        for _ in range(2)
    }
    assert len(runs) == 1


def test_dry_run_validates_without_creating(imagebuilder: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        component(imagebuilder, dryRun=True)
    assert error_of(excinfo) == ("DryRunOperationException", 412)

    assert component(imagebuilder).endswith("/pg-hello/1.0.0/1")


def test_volumes_follow_the_recipe_and_the_distribution_key(imagebuilder: Any, ec2: Any) -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    plain = build(
        imagebuilder,
        blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"encrypted": False, "volumeSize": 20}}],
    )
    recipe_arn = recipe(imagebuilder, [STIG], name="pg-keyed")
    keyed_arn = imagebuilder.create_image(
        imageRecipeArn=recipe_arn,
        infrastructureConfigurationArn=infrastructure(imagebuilder, name="pg-infra-2"),
        distributionConfigurationArn=distribution(
            imagebuilder, [{"region": REGION, "amiDistributionConfiguration": {"kmsKeyId": key}}]
        ),
    )["imageBuildVersionArn"]
    keyed = imagebuilder.get_image(imageBuildVersionArn=keyed_arn)["image"]

    plain_root = ec2.describe_images(ImageIds=[plain["outputResources"]["amis"][0]["image"]])["Images"][0]
    keyed_root = ec2.describe_images(ImageIds=[keyed["outputResources"]["amis"][0]["image"]])["Images"][0]
    assert plain_root["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is False
    assert plain_root["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 20
    assert keyed_root["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    assert keyed_root["BlockDeviceMappings"][0]["Ebs"]["KmsKeyId"] == key


def test_parent_ami_gives_platform_and_architecture(imagebuilder: Any, ec2: Any) -> None:
    linux = ec2.register_image(Name="pg-parent", Architecture="arm64", VirtualizationType="hvm")["ImageId"]
    image = build(imagebuilder, parentImage=linux)
    output = ec2.describe_images(ImageIds=[image["outputResources"]["amis"][0]["image"]])["Images"][0]
    assert (image["platform"], output["Architecture"], output["PlatformDetails"]) == ("Linux", "arm64", "Linux/UNIX")

    windows_parent = f"arn:aws:imagebuilder:{REGION}:aws:image/windows-server-2022-english-full-base-x86/x.x.x"
    with pytest.raises(ClientError) as excinfo:
        recipe(imagebuilder, [component(imagebuilder, name="pg-linux-only")], name="pg-win", parentImage=windows_parent)
    assert error_of(excinfo) == ("InvalidParameterValueException", 400)


def test_deregistered_ami_stays_in_the_image_output(imagebuilder: Any, ec2: Any) -> None:
    image = build(imagebuilder)
    ami_id = image["outputResources"]["amis"][0]["image"]

    ec2.deregister_image(ImageId=ami_id)

    again = imagebuilder.get_image(imageBuildVersionArn=image["arn"])["image"]
    assert again["outputResources"]["amis"][0]["image"] == ami_id
    assert ec2.describe_images(ImageIds=[ami_id])["Images"] == []


def test_taken_ami_name_fails_the_build(imagebuilder: Any) -> None:
    recipe_arn = recipe(imagebuilder, [STIG])
    pipeline_arn = imagebuilder.create_image_pipeline(
        name="pg-pipeline",
        imageRecipeArn=recipe_arn,
        infrastructureConfigurationArn=infrastructure(imagebuilder),
        distributionConfigurationArn=distribution(
            imagebuilder, [{"region": REGION, "amiDistributionConfiguration": {"name": "pg-fixed-name"}}]
        ),
    )["imagePipelineArn"]
    imagebuilder.start_image_pipeline_execution(imagePipelineArn=pipeline_arn)

    failed_arn = imagebuilder.start_image_pipeline_execution(imagePipelineArn=pipeline_arn)["imageBuildVersionArn"]

    failed = imagebuilder.get_image(imageBuildVersionArn=failed_arn)["image"]
    assert failed["state"]["status"] == "FAILED"
    assert "pg-fixed-name" in failed["state"]["reason"]
    assert failed["outputResources"]["amis"] == []
    assert imagebuilder.get_image_pipeline(imagePipelineArn=pipeline_arn)["imagePipeline"]["lastRunStatus"] == "FAILED"


def test_list_images_and_build_versions(imagebuilder: Any) -> None:
    first = build(imagebuilder)
    recipe_arn = first["imageRecipe"]["arn"]
    infrastructure_arn = first["infrastructureConfiguration"]["arn"]
    second = imagebuilder.create_image(imageRecipeArn=recipe_arn, infrastructureConfigurationArn=infrastructure_arn)

    versions = imagebuilder.list_images()["imageVersionList"]
    assert [(v["arn"], v["version"], v["owner"]) for v in versions] == [
        (first["arn"].rsplit("/", 1)[0], "1.0.0", ACCOUNT)
    ]
    assert imagebuilder.list_images(owner="Amazon")["imageVersionList"] == []
    assert imagebuilder.list_images(filters=[{"name": "platform", "values": ["Windows"]}])["imageVersionList"] == []

    builds = imagebuilder.list_image_build_versions(imageVersionArn=first["arn"].rsplit("/", 1)[0])
    assert [summary["arn"] for summary in builds["imageSummaryList"]] == [second["imageBuildVersionArn"], first["arn"]]
    assert builds["imageSummaryList"][0]["state"] == {"status": "AVAILABLE"}
    page = imagebuilder.list_image_build_versions(imageVersionArn=first["arn"].rsplit("/", 1)[0], maxResults=1)
    assert len(page["imageSummaryList"]) == 1
    rest = imagebuilder.list_image_build_versions(
        imageVersionArn=first["arn"].rsplit("/", 1)[0], maxResults=1, nextToken=page["nextToken"]
    )
    assert [s["arn"] for s in rest["imageSummaryList"]] == [first["arn"]]
    assert "nextToken" not in rest


def test_list_image_pipelines_filters_and_pages(imagebuilder: Any) -> None:
    recipe_arn = recipe(imagebuilder, [component(imagebuilder)])
    infrastructure_arn = infrastructure(imagebuilder)
    arns = [
        imagebuilder.create_image_pipeline(
            name=name, imageRecipeArn=recipe_arn, infrastructureConfigurationArn=infrastructure_arn, status=status
        )["imagePipelineArn"]
        for name, status in (("golden-al2023", "ENABLED"), ("golden-win", "DISABLED"), ("adhoc", "ENABLED"))
    ]

    listed = imagebuilder.list_image_pipelines()["imagePipelineList"]
    assert [p["arn"] for p in listed] == sorted(arns)
    assert listed[0] == imagebuilder.get_image_pipeline(imagePipelineArn=listed[0]["arn"])["imagePipeline"]
    enabled = imagebuilder.list_image_pipelines(filters=[{"name": "status", "values": ["ENABLED"]}])
    assert {p["name"] for p in enabled["imagePipelineList"]} == {"golden-al2023", "adhoc"}
    page = imagebuilder.list_image_pipelines(maxResults=2)
    rest = imagebuilder.list_image_pipelines(maxResults=2, nextToken=page["nextToken"])
    assert [p["arn"] for p in page["imagePipelineList"] + rest["imagePipelineList"]] == sorted(arns)
    assert "nextToken" not in rest
    with pytest.raises(ClientError) as excinfo:
        imagebuilder.list_image_pipelines(filters=[{"name": "platform", "values": ["Linux"]}])
    assert error_of(excinfo)[1] == 400


def test_faults_can_be_injected_into_imagebuilder(boto_session: Any, aws: None) -> None:
    client = boto_session.client("imagebuilder", config=Config(retries={"total_max_attempts": 1}))
    inject_faults("imagebuilder", "GetImage", "ServiceUnavailableException")

    with pytest.raises(ClientError) as excinfo:
        client.get_image(imageBuildVersionArn=f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image/pg/1.0.0/1")

    assert error_of(excinfo) == ("ServiceUnavailableException", 503)


def test_operations_and_routes_exist_in_the_botocore_model(service_model: ServiceModel) -> None:
    routes = set(imagebuilder_module.url_paths)
    for name in imagebuilder_module.OPERATIONS:
        operation = service_model.operation_model(name)
        assert f"{{0}}{operation.http['requestUri']}$" in routes
        handler = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        assert callable(getattr(imagebuilder_module.ImageBuilderResponse, handler))
    assert len(routes) == len(imagebuilder_module.OPERATIONS)


def _members_read_from_requests() -> set[str]:
    """Every constant key the emulator reads (``x[...]``/``x.get(...)``) from a request, or from a part of one
    (a distribution, a block device mapping, a filter, ...), by the variable names it uses for them."""
    names = {"params", "settings", "distribution", "configuration", "requested", "permission", "ebs", "spec"}
    found: set[str] = set()
    for path in EMULATOR_DIR.glob("imagebuilder*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            target, key = None, None
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                target, key = node.value, node.slice.value
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                target, key = node.func.value, node.args[0].value
            if target is not None and isinstance(key, str) and ast.unparse(target) in names:
                found.add(key)
    return found


def _input_members(shape: Any, found: set[str], seen: set[str]) -> set[str]:
    if shape.name in seen:
        return found
    seen.add(shape.name)
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            found.add(name)
            _input_members(member, found, seen)
    elif shape.type_name == "list":
        _input_members(shape.member, found, seen)
    return found


def test_request_members_read_exist_in_the_input_shapes(service_model: ServiceModel) -> None:
    inputs: set[str] = set()
    for name in imagebuilder_module.OPERATIONS:
        shape = service_model.operation_model(name).input_shape
        if shape is not None:
            _input_members(shape, inputs, set())
    read = _members_read_from_requests()

    assert {"name", "semanticVersion", "components", "parentImage", "imagePipelineArn", "clientToken"} <= read
    assert {"amiDistributionConfiguration", "launchPermission", "userGroups", "deviceName", "encrypted"} <= read
    assert read - inputs == set()


def _unknown_members(shape: Any, value: Any, path: str) -> list[str]:
    """Keys in ``value`` that ``shape`` does not have (moto's serializer would silently drop them)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        problems = [f"{path}.{key}" for key in value if key not in shape.members]
        for key, item in value.items():
            if key in shape.members:
                problems += _unknown_members(shape.members[key], item, f"{path}.{key}")
        return problems
    if shape.type_name == "list" and isinstance(value, list):
        return [problem for item in value for problem in _unknown_members(shape.member, item, f"{path}[]")]
    return []


def test_stored_resources_fit_the_model_output_shapes(imagebuilder: Any, service_model: ServiceModel) -> None:
    pipeline_arn = imagebuilder.create_image_pipeline(
        name="pg-pipeline",
        imageRecipeArn=recipe(
            imagebuilder,
            [component(imagebuilder), STIG],
            blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 10}}],
            amiTags={"a": "b"},
        ),
        infrastructureConfigurationArn=infrastructure(imagebuilder),
        distributionConfigurationArn=distribution(imagebuilder, [{"region": REGION}]),
        schedule={"scheduleExpression": "cron(0 0 * * ? *)"},
    )["imagePipelineArn"]
    imagebuilder.start_image_pipeline_execution(imagePipelineArn=pipeline_arn)
    backend = imagebuilder_backends[ACCOUNT][REGION]

    for collection, shape_name in (
        (backend.components, "Component"),
        (backend.image_recipes, "ImageRecipe"),
        (backend.infrastructure_configurations, "InfrastructureConfiguration"),
        (backend.distribution_configurations, "DistributionConfiguration"),
        (backend.image_pipelines, "ImagePipeline"),
        (backend.images, "Image"),
    ):
        assert collection, shape_name
        for resource in collection.values():
            assert _unknown_members(service_model.shape_for(shape_name), resource.data, shape_name) == []
