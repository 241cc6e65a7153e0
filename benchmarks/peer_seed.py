"""The account the peer benchmark judges: N AMIs, N ECR repositories with one image each (its manifest and
config in a real docker-registry on loopback), and N Lambda functions, seeded through the emulator's API.

Each resource's settings follow its index, so every overlapping check sees passing and failing resources:
AMI i is public when i % 10 == 0, IMDSv2-only when i % 3 != 0, and has a deprecation time when i % 4 == 0;
repository i scans on push when i % 2 == 0 and is IMMUTABLE when i % 3 == 0; function i runs `RUNTIMES[i % 5]`.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

from provenance_guard_cli.local_registry import RegistryPusher, image_manifest, push_image

RUNTIMES = ("python3.12", "python3.9", "nodejs20.x", "python3.8", "java21")
"""Two of them deprecated (python3.9, python3.8), java21 and nodejs20.x current."""
BASE = "org.opencontainers.image.base.name"
ROLE_POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def _package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as opened:
        opened.writestr("handler.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buffer.getvalue()


def seed_amis(ec2: Any, count: int) -> list[str]:
    images = []
    deprecate_at = (datetime.now(UTC) + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:00Z")
    for index in range(count):
        request: dict[str, Any] = {"Name": f"peer-image-{index:05d}"}
        if index % 3:
            request["ImdsSupport"] = "v2.0"
        image = ec2.register_image(**request)["ImageId"]
        if index % 10 == 0:
            ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})
        if index % 4 == 0:
            ec2.enable_image_deprecation(ImageId=image, DeprecateAt=deprecate_at)
        images.append(image)
    return images


def seed_repositories(ecr: Any, registry_url: str, count: int) -> list[str]:
    pusher = RegistryPusher(registry_url)
    names = []
    for index in range(count):
        name = f"peer/app-{index:05d}"
        ecr.create_repository(
            repositoryName=name,
            imageTagMutability="IMMUTABLE" if index % 3 == 0 else "MUTABLE",
            imageScanningConfiguration={"scanOnPush": index % 2 == 0},
        )
        labels = {BASE: "public.ecr.aws/docker/library/alpine:3.20", "index": str(index)}
        push_image(
            ecr, pusher, name, image_manifest(pusher, name, labels=labels, layer=f"layer {index}".encode()), "v1"
        )
        names.append(name)
    return names


def seed_functions(iam: Any, lam: Any, count: int) -> list[str]:
    role = iam.create_role(RoleName="peer-lambda", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    code = _package()
    names = []
    for index in range(count):
        name = f"peer-fn-{index:05d}"
        lam.create_function(
            FunctionName=name,
            Runtime=RUNTIMES[index % len(RUNTIMES)],
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": code},
        )
        names.append(name)
    return names
