"""Lambda code signing configurations for the emulator, patched onto moto 5.2.5's ``LambdaResponse``.

moto 5.2.5 stores a ``CodeSigningConfigArn`` given to CreateFunction and echoes it from
GetFunctionCodeSigningConfig, but has none of the configuration operations. This module adds them,
following botocore's lambda model and the Lambda API reference:

* CreateCodeSigningConfig: ``AllowedPublishers.SigningProfileVersionArns`` (1-20 ARNs) required;
  ``CodeSigningPolicies.UntrustedArtifactOnDeployment`` ``Warn`` (the default) or ``Enforce``; id
  ``csc-`` + 17 lowercase characters, ARN ``arn:<p>:lambda:<region>:<account>:code-signing-config:<id>``.
* GetCodeSigningConfig / UpdateCodeSigningConfig (any of Description, AllowedPublishers,
  CodeSigningPolicies) / ListCodeSigningConfigs (Marker/MaxItems): unknown ARN -> ResourceNotFoundException.
* DeleteCodeSigningConfig: ResourceConflictException while any function uses the configuration ("You
  can delete the code signing configuration only if no function is using it", API reference).
* PutFunctionCodeSigningConfig / DeleteFunctionCodeSigningConfig: attach / detach (function by name or
  ARN; an unknown configuration is CodeSigningConfigNotFoundException). Attaching does not re-validate
  the deployed code, as on AWS. CreateFunction with an unknown ``CodeSigningConfigArn`` fails the same way.
* ListFunctionsByCodeSigningConfig: the unqualified ARNs of the functions using it (Marker/MaxItems).

Deployment-time validation against the attached configuration lives in :mod:`.lambda_deploy`.
Not modelled: tags on configurations (accepted, not stored), the ``lambda:CodeSigningConfigArn``
condition key, ``Marker`` values of AWS's own format (the emulator's are opaque offsets).
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from moto.awslambda import urls as lambda_urls
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.utilities.utils import get_partition

from .patches import add_url_path, patch_attr

POLICIES = ("Warn", "Enforce")
_ID_ALPHABET = string.ascii_lowercase + string.digits


class ResourceNotFound(LambdaClientError):
    code = 404

    def __init__(self, message: str) -> None:
        super().__init__("ResourceNotFoundException", message)


class CodeSigningConfigNotFound(LambdaClientError):
    code = 404

    def __init__(self, arn: str) -> None:
        super().__init__("CodeSigningConfigNotFoundException", f"The code signing configuration {arn} does not exist.")


class ResourceConflict(LambdaClientError):
    code = 409

    def __init__(self, message: str) -> None:
        super().__init__("ResourceConflictException", message)


class InvalidParameterValue(LambdaClientError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidParameterValueException", message)


@dataclass
class CodeSigningConfig:
    arn: str
    config_id: str
    description: str
    publishers: list[str]
    policy: str
    last_modified: str

    def describe(self) -> dict[str, Any]:
        return {
            "CodeSigningConfigId": self.config_id,
            "CodeSigningConfigArn": self.arn,
            "Description": self.description,
            "AllowedPublishers": {"SigningProfileVersionArns": list(self.publishers)},
            "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": self.policy},
            "LastModified": self.last_modified,
        }


def configs_of(backend: LambdaBackend) -> dict[str, CodeSigningConfig]:
    configs: dict[str, CodeSigningConfig] = backend.__dict__.setdefault("_provenance_guard_code_signing", {})
    return configs


def find_config(backend: LambdaBackend, arn: str) -> CodeSigningConfig | None:
    return configs_of(backend).get(arn)


def functions_using(backend: LambdaBackend, arn: str) -> list[LambdaFunction]:
    return [fn for fn in backend._lambdas.latest() if getattr(fn, "code_signing_config_arn", None) == arn]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _body(self: Any) -> dict[str, Any]:
    raw = self.body.decode() if isinstance(self.body, bytes) else self.body
    params = json.loads(raw) if raw else {}
    if not isinstance(params, dict):
        raise InvalidParameterValue("The request body must be a JSON object")
    return params


def _publishers(value: Any) -> list[str]:
    arns = (value or {}).get("SigningProfileVersionArns") if isinstance(value, dict) else None
    if not isinstance(arns, list) or not 1 <= len(arns) <= 20 or not all(isinstance(a, str) for a in arns):
        raise InvalidParameterValue("AllowedPublishers.SigningProfileVersionArns must list 1 to 20 ARNs.")
    for arn in arns:
        if ":signer:" not in arn or "/signing-profiles/" not in arn:
            raise InvalidParameterValue(f"{arn} is not a signing profile version ARN.")
    return arns


def _policy(value: Any, default: str) -> str:
    policy = (value or {}).get("UntrustedArtifactOnDeployment", default) if isinstance(value, dict) else default
    if policy not in POLICIES:
        raise InvalidParameterValue(f"UntrustedArtifactOnDeployment must be one of {list(POLICIES)}, got {policy!r}.")
    return str(policy)


def _config_from_path(self: Any) -> CodeSigningConfig:
    path = unquote(self.path.split("?", 1)[0])
    arn = path.split("/code-signing-configs/", 1)[1].split("/functions", 1)[0]
    config = find_config(self.backend, arn)
    if config is None:
        raise ResourceNotFound(f"The resource you requested does not exist: {arn}")
    return config


def _page(self: Any, items: list[Any]) -> tuple[list[Any], str | None]:
    marker = self.querystring.get("Marker", [None])[0]
    size = int(self.querystring.get("MaxItems", ["50"])[0])
    start = int(marker) if marker and marker.isdigit() else 0
    end = start + max(1, min(size, 10000))
    return items[start:end], (str(end) if end < len(items) else None)


def create_code_signing_config(self: Any) -> tuple[int, dict[str, Any], str]:
    params = _body(self)
    config_id = "csc-" + "".join(random.choices(_ID_ALPHABET, k=17))
    region, account = self.region, self.current_account
    config = CodeSigningConfig(
        arn=f"arn:{get_partition(region)}:lambda:{region}:{account}:code-signing-config:{config_id}",
        config_id=config_id,
        description=str(params.get("Description", "")),
        publishers=_publishers(params.get("AllowedPublishers")),
        policy=_policy(params.get("CodeSigningPolicies"), "Warn"),
        last_modified=_now(),
    )
    configs_of(self.backend)[config.arn] = config
    return 201, {"status": 201}, json.dumps({"CodeSigningConfig": config.describe()})


def get_code_signing_config(self: Any) -> str:
    return json.dumps({"CodeSigningConfig": _config_from_path(self).describe()})


def update_code_signing_config(self: Any) -> str:
    config = _config_from_path(self)
    params = _body(self)
    if "Description" in params:
        config.description = str(params["Description"])
    if "AllowedPublishers" in params:
        config.publishers = _publishers(params["AllowedPublishers"])
    if "CodeSigningPolicies" in params:
        config.policy = _policy(params["CodeSigningPolicies"], config.policy)
    config.last_modified = _now()
    return json.dumps({"CodeSigningConfig": config.describe()})


def delete_code_signing_config(self: Any) -> tuple[int, dict[str, Any], str]:
    config = _config_from_path(self)
    users = functions_using(self.backend, config.arn)
    if users:
        names = ", ".join(fn.function_name for fn in users)
        raise ResourceConflict(f"The code signing configuration cannot be deleted: it is used by {names}.")
    del configs_of(self.backend)[config.arn]
    return 204, {"status": 204}, ""


def list_code_signing_configs(self: Any) -> str:
    items = [c.describe() for c in sorted(configs_of(self.backend).values(), key=lambda c: c.arn)]
    page, marker = _page(self, items)
    return json.dumps({"CodeSigningConfigs": page, **({"NextMarker": marker} if marker else {})})


def list_functions_by_code_signing_config(self: Any) -> str:
    config = _config_from_path(self)
    arns = sorted(fn.function_arn for fn in functions_using(self.backend, config.arn))
    page, marker = _page(self, arns)
    return json.dumps({"FunctionArns": page, **({"NextMarker": marker} if marker else {})})


def _function(self: Any) -> LambdaFunction:
    name = unquote(self.path.split("?", 1)[0].rsplit("/", 2)[-2])
    function: LambdaFunction = self.backend.get_function(name)
    return function


def put_function_code_signing_config(self: Any) -> str:
    function = _function(self)
    arn = str(_body(self).get("CodeSigningConfigArn", ""))
    if find_config(self.backend, arn) is None:
        raise CodeSigningConfigNotFound(arn)
    function.code_signing_config_arn = arn
    return json.dumps({"CodeSigningConfigArn": arn, "FunctionName": function.function_name})


def delete_function_code_signing_config(self: Any) -> tuple[int, dict[str, Any], str]:
    _function(self).code_signing_config_arn = None
    return 204, {"status": 204}, ""


HANDLERS = (
    create_code_signing_config,
    get_code_signing_config,
    update_code_signing_config,
    delete_code_signing_config,
    list_code_signing_configs,
    list_functions_by_code_signing_config,
    put_function_code_signing_config,
    delete_function_code_signing_config,
)


def install() -> None:
    for handler in HANDLERS:
        patch_attr(LambdaResponse, handler.__name__, handler)
    base = r"{0}/(?P<api_version>[^/]+)/code-signing-configs"
    add_url_path(lambda_urls.url_paths, base + "$", LambdaResponse.dispatch)
    add_url_path(lambda_urls.url_paths, base + "/(?P<code_signing_config>[^/]+)$", LambdaResponse.dispatch)
    add_url_path(lambda_urls.url_paths, base + "/(?P<code_signing_config>[^/]+)/functions$", LambdaResponse.dispatch)
