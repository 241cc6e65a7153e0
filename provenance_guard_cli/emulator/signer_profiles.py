"""AWS Signer ListSigningProfiles for the emulator, patched onto moto 5.2.5's ``SignerResponse`` (moto
models the profiles but routes no ``GET /signing-profiles``).

Following botocore's signer model (query parameters ``statuses``, ``platformId``, ``includeCanceled``,
``maxResults`` 1-25, ``nextToken``; response ``profiles`` of the ``SigningProfile`` shape and
``nextToken``): profiles of the calling account and Region in name order; a ``Canceled`` profile is
listed only with ``includeCanceled=true`` or when ``statuses`` names that status; ``Revoked`` ones (see
:mod:`.signer_notation`) are listed like active ones. A ``maxResults`` out of range or a ``nextToken``
this emulator did not issue is a ValidationException.

Not modelled: profiles shared from other accounts, ``signingParameters`` (moto keeps none).
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.signer import urls as signer_urls
from moto.signer.responses import SignerResponse

from .patches import add_url_path, patch_attr
from .signer import ValidationException

STATUSES = ("Active", "Canceled", "Revoked")
PROFILE_MEMBERS = (
    "profileName",
    "profileVersion",
    "profileVersionArn",
    "signingMaterial",
    "signatureValidityPeriod",
    "platformId",
    "platformDisplayName",
    "status",
    "arn",
    "tags",
)


def _query(self: Any, name: str) -> list[str]:
    values: list[str] = self.querystring.get(name, [])
    return values


def _statuses(self: Any) -> set[str]:
    statuses = set(_query(self, "statuses"))
    unknown = statuses - set(STATUSES)
    if unknown:
        raise ValidationException(f"statuses must be among {', '.join(STATUSES)}, got {', '.join(sorted(unknown))}.")
    if not statuses:
        include_canceled = (_query(self, "includeCanceled") or ["false"])[0].lower() == "true"
        statuses = {"Active", "Revoked"} | ({"Canceled"} if include_canceled else set())
    return statuses


def _page_bounds(self: Any) -> tuple[int, int]:
    size_text = (_query(self, "maxResults") or ["20"])[0]
    if not size_text.isdigit() or not 1 <= int(size_text) <= 25:
        raise ValidationException("maxResults must be between 1 and 25.")
    token = (_query(self, "nextToken") or [""])[0]
    if token and not (token.startswith("profiles-") and token[len("profiles-") :].isdigit()):
        raise ValidationException("The nextToken is not valid.")
    start = int(token[len("profiles-") :]) if token else 0
    return start, start + int(size_text)


def list_signing_profiles(self: Any) -> ActionResult:
    statuses = _statuses(self)
    platform = next(iter(_query(self, "platformId")), None)
    profiles = [
        profile
        for _, profile in sorted(self.signer_backend.signing_profiles.items())
        if profile.status in statuses and (platform is None or profile.platform_id == platform)
    ]
    start, end = _page_bounds(self)
    listed = []
    for profile in profiles[start:end]:
        described = profile.to_dict(full=True)
        listed.append({member: described[member] for member in PROFILE_MEMBERS if described.get(member) is not None})
    result: dict[str, Any] = {"profiles": listed}
    if end < len(profiles):
        result["nextToken"] = f"profiles-{end}"
    return ActionResult(result)


def install() -> None:
    patch_attr(SignerResponse, "list_signing_profiles", list_signing_profiles)
    add_url_path(signer_urls.url_paths, "{0}/signing-profiles$", SignerResponse.dispatch)
