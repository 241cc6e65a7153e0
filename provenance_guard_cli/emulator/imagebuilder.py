"""EC2 Image Builder for the emulator: moto 5.2.5 has no ``imagebuilder`` service at all.

Registered with moto by :func:`install` (no file in moto is touched): the service's URL pattern is
added to ``moto.backend_index.backend_url_patterns`` (in-process, botocore's requests are matched
against it; the server's DomainDispatcherApplication maps the SigV4 credential scope ``imagebuilder``
to ``imagebuilder.<region>.amazonaws.com`` and matches the same list) and ``moto.backends.get_backend``
resolves ``"imagebuilder"`` to :data:`.imagebuilder_model.imagebuilder_backends`, a ``BackendDict``
that moto resets with the others (``mock_aws`` exit, ``/moto-api/reset``). Requests are parsed and
responses/errors serialised by moto from botocore's imagebuilder model (REST-JSON). Caveat: anything
that copied those two names before :func:`install` ran (moto's proxy mode imports them at module load)
does not see the service; the in-process mock and :class:`.server.EmulatorServer` look them up per request.

Operations (every request is checked against the model: required members, enums, patterns ->
InvalidParameterValueException / InvalidRequestException; a reused ``clientToken`` replays the first
response, or IdempotentParameterMismatchException with other parameters; ``dryRun`` ->
DryRunOperationException after validation):

* CreateComponent / GetComponent: ``data`` (an AWSTOE YAML document: ``phases`` required, type TEST
  when the only phase is ``test``, ``parameters`` reported) or ``uri`` (stored, not fetched), exactly
  one. ARN ``arn:aws:imagebuilder:<region>:<account>:component/<name lowercased>/<version>/1``; a
  second create of the same name and version is ResourceAlreadyExistsException. GetComponent takes a
  build version, version or wildcard (``1.x.x``) ARN; AWS-managed (``aws``, ``aws-marketplace``,
  ``third-party`` owner) component ARNs with a concrete version are described from the ARN alone.
* CreateImageRecipe / GetImageRecipe: components must exist (own account; wildcards must match a
  version) or be managed ARNs, accepted as given; ``parentImage`` is an AMI id (must exist in the
  Region), an Image Builder image ARN (own: must exist; managed: accepted) or anything else (SSM
  parameter, Marketplace product: accepted). The platform comes from the parent (or the components)
  and own components of another platform are rejected.
* CreateInfrastructureConfiguration / GetInfrastructureConfiguration, CreateDistributionConfiguration /
  GetDistributionConfiguration: stored as given; distributions need known, distinct Regions and
  ``userGroups`` may only be ``all``. ``timeoutMinutes`` defaults to 720.
* CreateImagePipeline / GetImagePipeline, StartImagePipelineExecution, CreateImage: the build completes
  immediately (see :mod:`.imagebuilder_build`): state AVAILABLE, ``outputResources.amis`` one AMI per
  distribution Region, really registered in moto's EC2; the image records its recipe, infrastructure
  and distribution configurations, ``sourcePipelineArn``/``Name`` when a pipeline built it, and the
  pipeline's ``imageTags`` plus the request's ``tags``. Build numbers count up per recipe version. An
  AMI name already used in a target Region fails the build (state FAILED, no AMIs), as on AWS.
* GetImage (build version, version or wildcard ARN), ListImages (owner ``Self``, other owners list
  nothing; ``byName``), ListImageBuildVersions (newest first); both filter on ``name``, ``platform``,
  ``type``, ``version``, ``osVersion``, ``buildType``, ``imageSource`` and page with maxResults/nextToken.
* ListImagePipelines: the account's pipelines in ARN order, filtered on ``name``, ``status``,
  ``description``, ``imageRecipeArn``, ``infrastructureConfigurationArn``, ``distributionConfigurationArn``,
  paged like ListImages.
  Unknown ARNs give ResourceNotFoundException (404) with AWS's "required resource ... cannot be found".

Not modelled: container recipes and images, image tests, scanning and workflows (recorded, never
run), schedules (pipelines run only when started; a DISABLED pipeline still runs when started),
``targetAccountIds`` and launch templates in distributions, the ``EC2 Image Builder Image State
Change`` EventBridge event, auto-versioning (wildcard ``semanticVersion`` on create; AWS now also gives
a repeated component version the next build number), Delete*/Update*/Import* and the other list
operations, shared resources of other accounts, ``osVersion`` of images, the exact text of messages
AWS does not document.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable
from typing import Any

import moto.backend_index as backend_index
import moto.backends as moto_backends
from moto.core.responses import ActionResult, BaseResponse

from . import imagebuilder_build as build
from . import imagebuilder_model as model
from . import imagebuilder_store as store
from .imagebuilder_model import SERVICE, ImageBuilderBackend, Resource, imagebuilder_backends
from .patches import original, patch_attr

URL_PATTERN = r"https?://imagebuilder\.(.+)\.amazonaws\.com"


class ImageBuilderResponse(BaseResponse):
    """One method per operation; moto routes by the model's HTTP method and request URI."""

    def __init__(self) -> None:
        super().__init__(service_name=SERVICE)
        self.automated_parameter_parsing = True

    @property
    def backend(self) -> ImageBuilderBackend:
        found: ImageBuilderBackend = imagebuilder_backends[self.current_account][self.region]
        return found

    def _run(self, handler: Callable[[ImageBuilderBackend, dict[str, Any]], dict[str, Any]]) -> ActionResult:
        operation = self._get_action()
        params = dict(self.params)
        model.validate_input(operation, params)
        backend = self.backend
        token = params.get("clientToken")
        result = backend.replay(operation, token, params)
        if result is None:
            result = handler(backend, params)
            backend.remember(operation, token, params, result)
        return ActionResult(result)

    def create_component(self) -> ActionResult:
        return self._run(store.create_component)

    def get_component(self) -> ActionResult:
        return self._run(store.get_component)

    def create_image_recipe(self) -> ActionResult:
        return self._run(store.create_image_recipe)

    def get_image_recipe(self) -> ActionResult:
        return self._run(store.get_image_recipe)

    def create_infrastructure_configuration(self) -> ActionResult:
        return self._run(store.create_infrastructure_configuration)

    def get_infrastructure_configuration(self) -> ActionResult:
        return self._run(store.get_infrastructure_configuration)

    def create_distribution_configuration(self) -> ActionResult:
        return self._run(store.create_distribution_configuration)

    def get_distribution_configuration(self) -> ActionResult:
        return self._run(store.get_distribution_configuration)

    def create_image_pipeline(self) -> ActionResult:
        return self._run(store.create_image_pipeline)

    def get_image_pipeline(self) -> ActionResult:
        return self._run(store.get_image_pipeline)

    def create_image(self) -> ActionResult:
        return self._run(_create_image)

    def start_image_pipeline_execution(self) -> ActionResult:
        return self._run(_start_image_pipeline_execution)

    def get_image(self) -> ActionResult:
        return self._run(_get_image)

    def list_images(self) -> ActionResult:
        return self._run(_list_images)

    def list_image_pipelines(self) -> ActionResult:
        return self._run(_list_image_pipelines)

    def list_image_build_versions(self) -> ActionResult:
        return self._run(_list_image_build_versions)


def _create_image(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    inputs = store.resolve_build_inputs(backend, params)
    return build.create_image(backend, params, inputs)


def _start_image_pipeline_execution(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    pipeline = backend.find(backend.image_pipelines, "ImagePipeline", params["imagePipelineArn"])
    inputs = store.resolve_build_inputs(backend, pipeline.data)
    return build.start_image_pipeline_execution(backend, params, pipeline, inputs)


def _get_image(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    image = backend.find_versioned(backend.images, "Image", params["imageBuildVersionArn"], "imageBuildVersionArn")
    assert image.version is not None
    return store.response(
        params,
        image=_copy(image.data),
        latestVersionReferences=model.latest_version_references(image.versionless_arn, image.version),
    )


_FILTERS = frozenset({"name", "osVersion", "platform", "type", "version", "buildType", "imageSource"})


def _filtered(images: list[Resource], filters: list[dict[str, Any]] | None) -> list[Resource]:
    selected = images
    for spec in filters or []:
        name = spec.get("name")
        if name not in _FILTERS:
            raise model.invalid_value(
                "filters", f"'{name}' is not a supported filter name; use one of {sorted(_FILTERS)}."
            )
        values = set(spec.get("values") or [])
        selected = [image for image in selected if _filter_value(image, str(name)) in values]
    return selected


def _filter_value(image: Resource, name: str) -> str | None:
    if name == "version":
        return model.format_version(image.version) if image.version else None
    value = image.data.get(name)
    return str(value) if value is not None else None


def _paginate(items: list[dict[str, Any]], params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    token = params.get("nextToken")
    try:
        start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        raise model.InvalidPaginationTokenException(f"The pagination token '{token}' is not valid.") from None
    size = int(params.get("maxResults") or 25)
    end = start + size
    next_token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], next_token


def _list_images(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    owner = params.get("owner") or "Self"
    images = _filtered(list(backend.images.values()), params.get("filters")) if owner == "Self" else []
    newest: dict[str, Resource] = {}
    for image in images:
        key = image.versionless_arn if params.get("byName") else image.arn.rsplit("/", 1)[0]
        if key not in newest or _order(image) > _order(newest[key]):
            newest[key] = image
    versions = [
        _image_version(image, by_name=bool(params.get("byName")))
        for image in sorted(newest.values(), key=lambda image: image.arn)
    ]
    page, next_token = _paginate(versions, params)
    return store.response(params, imageVersionList=page, nextToken=next_token)


def _order(image: Resource) -> tuple[tuple[int, int, int], int]:
    return image.version or (0, 0, 0), image.build or 0


def _image_version(image: Resource, *, by_name: bool) -> dict[str, Any]:
    data = image.data
    return {
        "arn": f"{image.versionless_arn}/x.x.x" if by_name else image.arn.rsplit("/", 1)[0],
        "name": data["name"],
        "type": data["type"],
        "version": model.format_version(image.version) if image.version else None,
        "platform": data["platform"],
        "owner": image.arn.split(":")[4],
        "dateCreated": data["dateCreated"],
        "buildType": data["buildType"],
        "imageSource": data["imageSource"],
    }


_PIPELINE_FILTERS = frozenset(
    {
        "description",
        "distributionConfigurationArn",
        "imageRecipeArn",
        "infrastructureConfigurationArn",
        "name",
        "status",
    }
)


def _list_image_pipelines(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    pipelines = sorted(backend.image_pipelines.values(), key=lambda pipeline: pipeline.arn)
    for spec in params.get("filters") or []:
        name = spec.get("name")
        if name not in _PIPELINE_FILTERS:
            raise model.invalid_value(
                "filters", f"'{name}' is not a supported filter name; use one of {sorted(_PIPELINE_FILTERS)}."
            )
        values = set(spec.get("values") or [])
        pipelines = [pipeline for pipeline in pipelines if str(pipeline.data.get(str(name))) in values]
    page, next_token = _paginate([_copy(pipeline.data) for pipeline in pipelines], params)
    return store.response(params, imagePipelineList=page, nextToken=next_token)


def _list_image_build_versions(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    version_arn = params.get("imageVersionArn")
    images = [image for image in backend.images.values() if not version_arn or image.arn.startswith(version_arn + "/")]
    summaries = [
        _image_summary(image) for image in sorted(_filtered(images, params.get("filters")), key=_order, reverse=True)
    ]
    page, next_token = _paginate(summaries, params)
    return store.response(params, imageSummaryList=page, nextToken=next_token)


_SUMMARY_MEMBERS = (
    "arn",
    "name",
    "type",
    "version",
    "platform",
    "state",
    "dateCreated",
    "outputResources",
    "tags",
    "buildType",
    "imageSource",
    "loggingConfiguration",
)


def _image_summary(image: Resource) -> dict[str, Any]:
    summary = {member: _copy(image.data.get(member)) for member in _SUMMARY_MEMBERS}
    summary["owner"] = image.arn.split(":")[4]
    return summary


def _copy(value: Any) -> Any:
    return copy.deepcopy(value)


url_bases = [URL_PATTERN]

OPERATIONS: tuple[str, ...] = (
    "CreateComponent",
    "GetComponent",
    "CreateImageRecipe",
    "GetImageRecipe",
    "CreateInfrastructureConfiguration",
    "GetInfrastructureConfiguration",
    "CreateDistributionConfiguration",
    "GetDistributionConfiguration",
    "CreateImagePipeline",
    "GetImagePipeline",
    "StartImagePipelineExecution",
    "CreateImage",
    "GetImage",
    "ListImages",
    "ListImageBuildVersions",
    "ListImagePipelines",
)

# moto's ``urls`` module contract: ``{0}`` is replaced by each url base (in-process) or by "" (server).
url_paths: dict[str, Callable[..., Any]] = {f"{{0}}/{name}$": ImageBuilderResponse.dispatch for name in OPERATIONS}


def _get_backend(name: str) -> Any:
    if name == SERVICE:
        return imagebuilder_backends
    return original(moto_backends, "get_backend")(name)


def install() -> None:
    if not any(service == SERVICE for service, _ in backend_index.backend_url_patterns):
        patterns = [*backend_index.backend_url_patterns, (SERVICE, re.compile(URL_PATTERN))]
        patch_attr(backend_index, "backend_url_patterns", patterns)
    patch_attr(moto_backends, "get_backend", _get_backend)
