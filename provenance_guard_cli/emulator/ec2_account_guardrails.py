"""EC2 account guardrails (moto 5.2.5 has none), per account and Region: image block public access and
the account's instance metadata (IMDS) defaults.

* ``GetImageBlockPublicAccessState`` / ``EnableImageBlockPublicAccess`` (``block-new-sharing``) /
  ``DisableImageBlockPublicAccess`` (back to ``unblocked``); ``ManagedBy`` is ``account``. While the
  block is on, a ModifyImageAttribute that adds the ``all`` group (either request form) fails with
  ``OperationNotPermitted`` and the message AWS returns (as quoted in public CLI and Image Builder error
  output; the API reference lists no error); AMIs that are already public stay public, and removing
  ``all`` still works. A ModifyImageAttribute that would make an AMI carrying a watermark public fails
  the same way (the user guide: "You can't ... make AMIs public if they have a watermark").
* ``GetInstanceMetadataDefaults`` returns ``AccountLevel`` with the members set so far (and
  ``ManagedBy`` ``account``); ``ModifyInstanceMetadataDefaults`` sets ``HttpTokens``
  (``optional``/``required``), ``HttpPutResponseHopLimit`` (1-64), ``HttpEndpoint`` and
  ``InstanceMetadataTags`` (``enabled``/``disabled``) and ``HttpTokensEnforced``; ``no-preference``
  (``-1`` for the hop limit) clears a member. Other values are ``InvalidParameterValue``.

Modelling choices: block public access starts ``unblocked`` (AWS enables it for new accounts, but an
emulated account is treated as an existing one, so fixtures may publish AMIs) and applies at once
(AWS documents up to 10 minutes). Not modelled: applying the IMDS defaults to instances RunInstances
launches (or refusing launches when ``HttpTokensEnforced``); declarative policies (``ManagedBy``
``declarative-policy``, ``ManagedExceptionMessage``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.responses.amis import AmisResponse
from moto.ec2.responses.settings import Settings

from . import ec2_image_model as model
from . import ec2_image_watermarks as watermarks
from . import ec2_images
from .patches import patch_attr

BLOCKED = "block-new-sharing"
UNBLOCKED = "unblocked"
PUBLIC_SHARING_BLOCKED = (
    "You can\u2019t publicly share this image because block public access for AMIs is enabled for this account. "
    "To publicly share the image, you must call the DisableImageBlockPublicAccess API."
)
_ENUM_DEFAULTS = {
    "HttpTokens": ("optional", "required"),
    "HttpEndpoint": ("disabled", "enabled"),
    "InstanceMetadataTags": ("disabled", "enabled"),
    "HttpTokensEnforced": ("disabled", "enabled"),
}
NO_PREFERENCE = "no-preference"


@dataclass
class Guardrails:
    image_block_public_access: str = UNBLOCKED
    metadata_defaults: dict[str, Any] = field(default_factory=dict)


def guardrails_of(backend: Any) -> Guardrails:
    found: Guardrails = backend.__dict__.setdefault("provenance_guard_guardrails", Guardrails())
    return found


def get_image_block_public_access_state(self: Any) -> ActionResult:
    self.error_on_dryrun()
    state = guardrails_of(self.ec2_backend).image_block_public_access
    return ActionResult({"ImageBlockPublicAccessState": state, "ManagedBy": "account"})


def enable_image_block_public_access(self: Any) -> ActionResult:
    state = self._get_param("ImageBlockPublicAccessState")
    self.error_on_dryrun()
    if state != BLOCKED:
        raise model.invalid_parameter(
            f"Value ({state}) for parameter ImageBlockPublicAccessState is invalid. Valid values: {BLOCKED}"
        )
    guardrails_of(self.ec2_backend).image_block_public_access = BLOCKED
    return ActionResult({"ImageBlockPublicAccessState": BLOCKED})


def disable_image_block_public_access(self: Any) -> ActionResult:
    self.error_on_dryrun()
    guardrails_of(self.ec2_backend).image_block_public_access = UNBLOCKED
    return ActionResult({"ImageBlockPublicAccessState": UNBLOCKED})


def _adds_public_permission(request: Any) -> bool:
    added = (request._get_param("LaunchPermission") or {}).get("Add") or []
    if {"Group": "all"} in added:
        return True
    return request._get_param("OperationType") == "add" and "all" in (request._get_param("UserGroups") or [])


def modify_image_attribute(self: Any) -> EmptyResult:
    """:func:`.ec2_images.modify_image_attribute`, refusing to make an AMI public when that is blocked."""
    ami = model.get_image(self.ec2_backend, self._get_param("ImageId"))
    if _adds_public_permission(self) and not ami.is_public:
        if guardrails_of(self.ec2_backend).image_block_public_access == BLOCKED:
            raise EC2ClientError("OperationNotPermitted", PUBLIC_SHARING_BLOCKED)
        if watermarks.watermarks(ami):
            raise EC2ClientError(
                "OperationNotPermitted", f"You can't publicly share the image {ami.id} because it has watermarks."
            )
    return ec2_images.modify_image_attribute(self)


def get_instance_metadata_defaults(self: Any) -> ActionResult:
    self.error_on_dryrun()
    account_level = {**guardrails_of(self.ec2_backend).metadata_defaults, "ManagedBy": "account"}
    return ActionResult({"AccountLevel": account_level})


def modify_instance_metadata_defaults(self: Any) -> ActionResult:
    requested = {name: self._get_param(name) for name in (*_ENUM_DEFAULTS, "HttpPutResponseHopLimit")}
    self.error_on_dryrun()
    changes = {name: value for name, value in requested.items() if value is not None}
    for name, value in changes.items():
        _check_metadata_default(name, value)
    defaults = guardrails_of(self.ec2_backend).metadata_defaults
    for name, value in changes.items():
        if value in (NO_PREFERENCE, -1):
            defaults.pop(name, None)
        else:
            defaults[name] = value
    return ActionResult({"Return": True})


def _check_metadata_default(name: str, value: Any) -> None:
    if name == "HttpPutResponseHopLimit":
        valid = isinstance(value, int) and (value == -1 or 1 <= value <= 64)
        allowed = "1 to 64, or -1 for no preference"
    else:
        valid = value in (*_ENUM_DEFAULTS[name], NO_PREFERENCE)
        allowed = ", ".join((*_ENUM_DEFAULTS[name], NO_PREFERENCE))
    if not valid:
        raise model.invalid_parameter(f"Value ({value}) for parameter {name} is invalid. Valid values: {allowed}")


def install() -> None:
    patch_attr(AmisResponse, "modify_image_attribute", modify_image_attribute)
    for handler in (
        get_image_block_public_access_state,
        enable_image_block_public_access,
        disable_image_block_public_access,
        get_instance_metadata_defaults,
        modify_instance_metadata_defaults,
    ):
        patch_attr(Settings, handler.__name__, handler)
