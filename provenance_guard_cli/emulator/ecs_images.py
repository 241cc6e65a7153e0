"""The image digest an ECS container reports (``containers[].imageDigest`` of DescribeTasks), for the emulator.

AWS resolves each container's image to a digest when the task starts (for a service, when the
deployment is created: every task of a deployment runs the same digest, even if the tag moves) and
reports it for the life of the task. The emulator does the same, per container image reference:

1. an explicit override, set in-process with :func:`set_image_digest` or over HTTP at
   :data:`DIGESTS_PATH` (``POST`` ``{"image", "imageDigest", "account"?, "region"?}``; an
   ``imageDigest`` of ``null`` makes the container report no digest, as for an image whose digest
   could not be read; ``DELETE`` clears the overrides of that account and Region);
2. an ECR image (``<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]``) whose
   repository exists in moto's ECR: the digest of the tagged image (tag ``latest`` when none is
   given), or the digest named. A tag or digest the repository does not hold cannot be pulled: the
   task fails to start (``CannotPullContainerError``), as on AWS, and so does an archived image
   (:mod:`.ecr_archive`);
3. anything else (another registry, or an ECR repository the emulator does not hold): the digest in
   the reference if it has one, else a deterministic ``sha256:`` of the reference itself.

Not modelled: registry credentials (``repositoryCredentials``), pull-through cache rules, image
manifests lists (the digest of the reference is reported, not that of a platform image).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from moto.ecr.models import ecr_backends
from moto.moto_api._internal import urls as moto_api_urls

from . import ecr_archive, ecs_model
from .patches import add_url_path

DIGESTS_PATH = "/moto-api/provenance-guard/ecs/image-digests"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

_ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_UNSET = object()


@dataclass(frozen=True)
class ImageReference:
    host: str | None
    repository: str
    tag: str | None
    digest: str | None


@dataclass(frozen=True)
class Resolution:
    """What a container reports for its image: a digest (or none), or why the image cannot be pulled."""

    digest: str | None
    pull_error: str | None = None


def parse_image(image: str) -> ImageReference:
    name, _, digest = image.partition("@")
    head, slash, last = name.rpartition("/")
    last, _, tag = last.partition(":")
    path = f"{head}{slash}{last}"
    first, _, rest = path.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return ImageReference(first, rest, tag or None, digest or None)
    return ImageReference(None, path, tag or None, digest or None)


def set_image_digest(
    image: str, digest: str | None, *, account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION
) -> None:
    """Make containers started from now on with image reference ``image`` report ``digest`` (None: no digest)."""
    if digest is not None and not _DIGEST.match(digest):
        raise ValueError(f"imageDigest must be sha256:<64 hex characters>, not {digest!r}")
    _overrides(account, region)[image] = digest


def clear_image_digests(*, account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION) -> None:
    _overrides(account, region).clear()


def resolve(account: str, region: str, image: str) -> Resolution:
    override = _overrides(account, region).get(image, _UNSET)
    if override is not _UNSET:
        return Resolution(override if isinstance(override, str) else None)
    reference = parse_image(image)
    location = _ECR_HOST.match(reference.host or "")
    if location:
        from_ecr = _from_ecr(location["account"], location["region"], reference, image)
        if from_ecr is not None:
            return from_ecr
    if reference.digest:
        return Resolution(reference.digest)
    return Resolution("sha256:" + hashlib.sha256(image.encode()).hexdigest())


def _from_ecr(account: str, region: str, reference: ImageReference, image: str) -> Resolution | None:
    repository = ecr_backends[account][region].repositories.get(reference.repository)
    if repository is None:
        return None
    for candidate in repository.images:
        digest = str(candidate.get_image_digest())
        if (digest == reference.digest) if reference.digest else (reference.tag or "latest") in candidate.image_tags:
            if not ecr_archive.pullable(candidate):
                return Resolution(
                    None, f"CannotPullContainerError: {image} is {ecr_archive.status(candidate)}: restore it first"
                )
            return Resolution(digest)
    wanted = reference.digest or reference.tag or "latest"
    return Resolution(
        None,
        f"CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
        f"{image}: {image}: not found ({wanted} is not in repository {reference.repository})",
    )


def _overrides(account: str, region: str) -> dict[str, str | None]:
    backend: Any = ecs_model.backend_for(account, region)
    found: dict[str, str | None] | None = getattr(backend, "provenance_guard_image_digests", None)
    if found is None:
        found = {}
        backend.provenance_guard_image_digests = found
    return found


def digests_endpoint(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    if request.method in ("POST", "DELETE") and "json" not in str(request.headers.get("Content-Type", "")):
        return 415, {"Content-Type": "application/json"}, json.dumps({"message": "send JSON (application/json)"})
    try:
        body = json.loads(request.data or b"{}") if request.method in ("POST", "DELETE") else {}
        account = body.get("account", DEFAULT_ACCOUNT)
        region = body.get("region", DEFAULT_REGION)
        if request.method == "POST":
            set_image_digest(body["image"], body["imageDigest"], account=account, region=region)
        elif request.method == "DELETE":
            clear_image_digests(account=account, region=region)
        else:
            return 200, {"Content-Type": "application/json"}, json.dumps(_overrides(account, region))
    except (KeyError, ValueError, TypeError) as error:
        return 400, {"Content-Type": "application/json"}, json.dumps({"message": f"bad digest override: {error}"})
    return 200, {"Content-Type": "application/json"}, "{}"


def install() -> None:
    add_url_path(moto_api_urls.url_paths, "{0}" + DIGESTS_PATH + "$", digests_endpoint)
