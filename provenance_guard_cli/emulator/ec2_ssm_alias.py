"""``resolve:ssm:`` image ids (an AMI named by a Systems Manager parameter), resolved against moto's SSM.

The forms AWS documents for ``ImageId`` (RequestLaunchTemplateData, botocore ec2 2016-11-15):
``resolve:ssm:<parameter-name>``, ``...:<version-number>``, ``...:<label>``, and the same with a
parameter ARN (a parameter shared from another account; the emulator looks in that account's moto
backend and does not model the sharing itself). Public parameters (``/aws/service/...``) are the
ones moto ships. A parameter of the account must have the data type ``aws:ec2:image``, else
``SsmInvalidParameter`` with the message AWS gives (``Unsupported data type...``, reported in
aws-cdk#26712); a parameter that does not exist is ``SsmInvalidParameter`` too (the message is the
emulator's: AWS documents only that the parameter must exist first).
"""

from __future__ import annotations

from dataclasses import dataclass

from moto.ec2.exceptions import EC2ClientError
from moto.ssm.exceptions import ParameterVersionNotFound
from moto.ssm.models import ssm_backends

PREFIX = "resolve:ssm:"
IMAGE_DATA_TYPE = "aws:ec2:image"


@dataclass(frozen=True)
class ParameterReference:
    account: str
    region: str
    name: str
    selector: str | None
    from_arn: bool = False

    @property
    def public(self) -> bool:
        return self.name.startswith("/aws/service/")


def is_alias(image_id: object) -> bool:
    return isinstance(image_id, str) and image_id.startswith(PREFIX)


def invalid(message: str) -> EC2ClientError:
    return EC2ClientError("SsmInvalidParameter", message)


def parse(image_id: str, account: str, region: str) -> ParameterReference:
    reference = image_id[len(PREFIX) :]
    if reference.startswith("arn:"):
        parts = reference.split(":")
        if len(parts) not in (6, 7) or parts[2] != "ssm" or not parts[5].startswith("parameter/"):
            raise invalid(f"Invalid SSM parameter ARN in {image_id}.")
        name = parts[5][len("parameter") :]
        return ParameterReference(parts[4] or account, parts[3], name, parts[6] if len(parts) == 7 else None, True)
    name, _, selector = reference.partition(":")
    if not name:
        raise invalid(f"No SSM parameter name in {image_id}.")
    return ParameterReference(account, region, name, selector or None)


def resolve(image_id: str, account: str, region: str) -> str:
    """The AMI id the parameter holds now (``image_id`` itself when it is not a ``resolve:ssm:`` alias)."""
    if not is_alias(image_id):
        return image_id
    reference = parse(image_id, account, region)
    backend = ssm_backends[reference.account][reference.region]
    # An ARN's "parameter/x" names "/x" or "x" (a name without the leading slash).
    names = [reference.name, reference.name[1:]] if reference.from_arn else [reference.name]
    found = None
    for name in names:
        try:
            found = backend.get_parameter(f"{name}:{reference.selector}" if reference.selector else name)
        except ParameterVersionNotFound:
            found = None
        if found is not None:
            break
    if found is None:
        raise invalid(f"The SSM parameter in {image_id} does not exist or has no such version or label.")
    if not reference.public and found.data_type != IMAGE_DATA_TYPE:
        raise invalid(f"Unsupported data type. The following parameter data types are supported: {IMAGE_DATA_TYPE}")
    return str(found.value)
