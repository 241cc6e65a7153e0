"""Which resources each declared read may name: the one table the stack scopes the functions' reads by.

Source: the AWS Service Authorization Reference (SAR), "Actions, resources, and condition keys for <service>",
https://docs.aws.amazon.com/service-authorization/latest/reference/list_<page>.html - the Actions table's
"Resource types" column says whether an action supports resource-level permissions (and which type it
requires, marked *), the Resource types table gives each type's ARN format. An action whose row names no
resource type must be granted on `*`; it is listed in `UNSCOPED` with that reason. `docs/decisions/
iam-resource-scoping.md` explains the Region and account choices below (where another account's or another
Region's resource is legitimately read).

Every read a function declares (`FunctionSpec.read_permissions`) must be in exactly one of the two tables:
a new read cannot reach the template without a decision here (`tests/infra/test_iam.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aws_cdk import Aws

SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"
SAR_PAGES: Mapping[str, str] = {
    "ec2": SAR + "list_amazonec2.html",
    "codeartifact": SAR + "list_awscodeartifact.html",
    "ecr": SAR + "list_amazonelasticcontainerregistry.html",
    "ecs": SAR + "list_amazonelasticcontainerservice.html",
    "imagebuilder": SAR + "list_amazonec2imagebuilder.html",
    "inspector2": SAR + "list_amazoninspector2.html",
    "lambda": SAR + "list_awslambda.html",
    "organizations": SAR + "list_awsorganizations.html",
    "signer": SAR + "list_awssigner.html",
    "ssm": SAR + "list_awssystemsmanager.html",
    "xray": SAR + "list_awsx-ray.html",
}
"""The SAR page each service prefix's entries below were read from."""

THIS = "this"
ANY = "*"


@dataclass(frozen=True)
class ResourceScope:
    """One resource type an action may name, as a SAR ARN format with its Region and account decided."""

    resource_type: str
    """The SAR resource type (the Actions table's "Resource types" column)."""
    arn: str
    """The ARN format with `${Partition}`, `${Region}`, `${Account}` placeholders and `*` for the name."""
    region: str = THIS
    """THIS (the stack's Region) or ANY."""
    account: str = THIS
    """THIS (the stack's account) or ANY: another account's resource is legitimately read."""

    def rendered(self) -> str:
        """The ARN as the template carries it (CloudFormation pseudo parameters for THIS)."""
        return (
            self.arn.replace("${Partition}", Aws.PARTITION)
            .replace("${Region}", Aws.REGION if self.region == THIS else ANY)
            .replace("${Account}", Aws.ACCOUNT_ID if self.account == THIS else ANY)
        )

    def nag_form(self) -> str:
        """The ARN as cdk-nag names it in a granular finding (`<AWS::Partition>` for a pseudo parameter)."""
        return (
            self.arn.replace("${Partition}", "<AWS::Partition>")
            .replace("${Region}", "<AWS::Region>" if self.region == THIS else ANY)
            .replace("${Account}", "<AWS::AccountId>" if self.account == THIS else ANY)
        )


# -- resource types, as the SAR's Resource types tables give them ------------------------------------------

_CODEARTIFACT_DOMAIN = "arn:${Partition}:codeartifact:${Region}:${Account}:domain/*"
_CODEARTIFACT_REPOSITORY = "arn:${Partition}:codeartifact:${Region}:${Account}:repository/*"
_CODEARTIFACT_PACKAGE = "arn:${Partition}:codeartifact:${Region}:${Account}:package/*"
_ECS_SERVICE = "arn:${Partition}:ecs:${Region}:${Account}:service/*"
_ECS_TASK = "arn:${Partition}:ecs:${Region}:${Account}:task/*"
_SSM_PARAMETER = "arn:${Partition}:ssm:${Region}:${Account}:parameter/*"
_ECR_REPOSITORY = "arn:${Partition}:ecr:${Region}:${Account}:repository/*"
_EC2_IMAGE = "arn:${Partition}:ec2:${Region}::image/*"  # an AMI ARN carries no account
_IMAGEBUILDER_IMAGE = "arn:${Partition}:imagebuilder:${Region}:${Account}:image/*"
_LAMBDA_FUNCTION = "arn:${Partition}:lambda:${Region}:${Account}:function:*"  # `*` also matches :version
_LAMBDA_CSC = "arn:${Partition}:lambda:${Region}:${Account}:code-signing-config:*"
_SIGNING_JOB = "arn:${Partition}:signer:${Region}:${Account}:/signing-jobs/*"
_SIGNING_PROFILE = "arn:${Partition}:signer:${Region}:${Account}:/signing-profiles/*"

_IMAGE_IN_ANY_REGISTRY = ResourceScope("repository", _ECR_REPOSITORY, account=ANY)
"""A Lambda function's container image may live in another account's registry (same Region: Lambda pulls
only from its own Region), and the ECR image collector reads it there."""
_OWN_REPOSITORY = ResourceScope("repository", _ECR_REPOSITORY)
_OWN_FUNCTION = ResourceScope("function", _LAMBDA_FUNCTION)

_OWN_DOMAIN = ResourceScope("domain", _CODEARTIFACT_DOMAIN)
_OWN_CODEARTIFACT_REPOSITORY = ResourceScope("repository", _CODEARTIFACT_REPOSITORY)
_OWN_PACKAGE = ResourceScope("package", _CODEARTIFACT_PACKAGE)

SCOPED: Mapping[str, tuple[ResourceScope, ...]] = {
    # CodeArtifact (SAR: domain*, repository* or package*); a domain is judged in the account that owns it
    # (docs/decisions/codeartifact-domain-owner.md), and its repositories and packages are in that account and Region
    "codeartifact:DescribeDomain": (_OWN_DOMAIN,),
    "codeartifact:GetDomainPermissionsPolicy": (_OWN_DOMAIN,),
    "codeartifact:ListPackageGroups": (_OWN_DOMAIN,),
    "codeartifact:ListRepositoriesInDomain": (_OWN_DOMAIN,),
    "codeartifact:DescribeRepository": (_OWN_CODEARTIFACT_REPOSITORY,),
    "codeartifact:GetRepositoryPermissionsPolicy": (_OWN_CODEARTIFACT_REPOSITORY,),
    "codeartifact:ListPackages": (_OWN_CODEARTIFACT_REPOSITORY,),
    "codeartifact:ListPackageVersions": (_OWN_PACKAGE,),
    "codeartifact:DescribePackageVersion": (_OWN_PACKAGE,),
    # ECR (SAR: repository* for each)
    "ecr:BatchGetImage": (_IMAGE_IN_ANY_REGISTRY,),
    "ecr:DescribeImages": (_IMAGE_IN_ANY_REGISTRY,),
    "ecr:DescribeImageScanFindings": (_IMAGE_IN_ANY_REGISTRY,),
    "ecr:DescribeImageSigningStatus": (_IMAGE_IN_ANY_REGISTRY,),
    "ecr:GetDownloadUrlForLayer": (_IMAGE_IN_ANY_REGISTRY,),
    "ecr:ListTagsForResource": (_IMAGE_IN_ANY_REGISTRY,),
    "ecr:DescribeRepositories": (_OWN_REPOSITORY,),
    # ECS (SAR: service* / task*); the account's own services and tasks, in its Region
    "ecs:DescribeServices": (ResourceScope("service", _ECS_SERVICE),),
    "ecs:DescribeTasks": (ResourceScope("task", _ECS_TASK),),
    # Systems Manager (SAR: parameter*): EC2 reads a launch template's resolve:ssm: parameter as the caller;
    # AWS's public parameters (/aws/service/...) have no account in their ARN, so any account
    "ssm:GetParameters": (ResourceScope("parameter", _SSM_PARAMETER, account=ANY),),
    # EC2 (SAR: image* for DescribeImageAttribute); an Image Builder image distributes AMIs to several Regions
    "ec2:DescribeImageAttribute": (ResourceScope("image", _EC2_IMAGE, region=ANY),),
    # Image Builder (SAR: image*); read by the ARN an AMI's tags carry, in the Region that built it
    "imagebuilder:GetImage": (ResourceScope("image", _IMAGEBUILDER_IMAGE, region=ANY, account=ANY),),
    # Lambda (SAR: function* / code signing config*); the service's own functions, in its Region
    "lambda:GetFunction": (_OWN_FUNCTION,),
    "lambda:ListAliases": (_OWN_FUNCTION,),
    "lambda:GetFunctionCodeSigningConfig": (_OWN_FUNCTION,),
    "lambda:GetCodeSigningConfig": (ResourceScope("code signing config", _LAMBDA_CSC),),
    "lambda:ListFunctionsByCodeSigningConfig": (ResourceScope("code signing config", _LAMBDA_CSC),),
    # AWS Signer (SAR: signing-job* for DescribeSigningJob; signing-job* and signing-profile* for
    # GetRevocationStatus). Only a job's owner can describe it; revocation is asked of any publisher's job.
    "signer:DescribeSigningJob": (ResourceScope("signing-job", _SIGNING_JOB, region=ANY),),
    "signer:GetRevocationStatus": (
        ResourceScope("signing-job", _SIGNING_JOB, region=ANY, account=ANY),
        ResourceScope("signing-profile", _SIGNING_PROFILE, region=ANY, account=ANY),
    ),
}
"""Action -> every resource type the SAR lists for it, each with the Region and account it may name."""

_NO_RESOURCE_TYPE = "the SAR lists no resource type for it: it must be granted on *"
UNSCOPED: Mapping[str, str] = {
    "codeartifact:ListDomains": _NO_RESOURCE_TYPE,
    "ec2:DescribeImages": _NO_RESOURCE_TYPE + " (only the ec2:Region condition key)",
    "ec2:DescribeInstances": _NO_RESOURCE_TYPE + " (only the ec2:Region condition key)",
    "ec2:DescribeImageReferences": _NO_RESOURCE_TYPE + " (only the ec2:Region condition key)",
    "ec2:DescribeLaunchTemplates": _NO_RESOURCE_TYPE + " (only the ec2:Region condition key)",
    "ec2:DescribeLaunchTemplateVersions": _NO_RESOURCE_TYPE + " (only the ec2:Region condition key)",
    "ecs:DescribeTaskDefinition": _NO_RESOURCE_TYPE,
    "ecs:ListClusters": _NO_RESOURCE_TYPE,
    "ecs:ListServices": _NO_RESOURCE_TYPE + " (only the ecs:cluster condition key)",
    "ecs:ListTaskDefinitionFamilies": _NO_RESOURCE_TYPE,
    "ecs:ListTasks": (
        "a ListTasks by cluster or service names no resource type the SAR lists (its only one is "
        "container-instance*); the clusters are known only at run time, so it is granted on *"
    ),
    "ecr:GetAuthorizationToken": _NO_RESOURCE_TYPE,
    "ecr:GetRegistryScanningConfiguration": _NO_RESOURCE_TYPE + " (a registry-level setting)",
    "ecr:GetSigningConfiguration": _NO_RESOURCE_TYPE + " (a registry-level setting)",
    "ecr:DescribePullThroughCacheRules": _NO_RESOURCE_TYPE + " (a registry-level setting)",
    "inspector2:ListFindings": _NO_RESOURCE_TYPE,
    "lambda:ListFunctions": _NO_RESOURCE_TYPE,
    "lambda:ListCodeSigningConfigs": _NO_RESOURCE_TYPE,
    "organizations:DescribeOrganization": _NO_RESOURCE_TYPE + " (the caller's own organization)",
    "xray:PutTraceSegments": _NO_RESOURCE_TYPE,
    "xray:PutTelemetryRecords": _NO_RESOURCE_TYPE,
}
"""Action -> why it is granted on `*`."""
XRAY_WRITE = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
"""What every function's tracing writes (in UNSCOPED)."""


@dataclass(frozen=True)
class ReadGrant:
    """One statement of a function's reads: its actions and the resources they may name."""

    actions: tuple[str, ...]
    resources: tuple[ResourceScope, ...]
    """Empty: the statement is on `*`."""


class UndecidedActionError(LookupError):
    """A declared read has no entry in SCOPED or UNSCOPED."""


def read_grants(actions: Iterable[str]) -> list[ReadGrant]:
    """`actions` as statements: one per distinct set of resource scopes, and one on `*` for the unscoped."""
    by_scopes: dict[tuple[ResourceScope, ...], list[str]] = {}
    for action in sorted(set(actions)):
        if action in SCOPED:
            by_scopes.setdefault(SCOPED[action], []).append(action)
        elif action in UNSCOPED:
            by_scopes.setdefault((), []).append(action)
        else:
            raise UndecidedActionError(
                f"{action} is in neither SCOPED nor UNSCOPED (stacks/iam_scopes.py): look it up in the Service "
                "Authorization Reference and add it to one of them"
            )
    grants = [ReadGrant(tuple(acts), scopes) for scopes, acts in by_scopes.items()]
    return sorted(grants, key=lambda grant: (not grant.resources, grant.actions))
