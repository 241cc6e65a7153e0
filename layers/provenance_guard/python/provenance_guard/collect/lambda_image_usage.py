"""Which Lambda functions run an image digest (blast radius, "in use by", PG.LAMBDA.6).

Lambda lists no function's image (ListFunctions reports only `PackageType`), so the container-image
functions of the Region are read once per run with GetFunction ($LATEST's `ResolvedImageUri`), at most
`MAX_IMAGE_FUNCTIONS` of them; beyond that the answer is marked incomplete. Published versions an alias
serves are judged by PG.LAMBDA.6 itself, not looked up here: the daily sweep re-judges them.
"""

from __future__ import annotations

import logging
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import RunCache, Usage, Users
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.ecs_usage import IMAGE_CONTROLS
from provenance_guard.collect.lambda_function import LAMBDA_FUNCTION, LIST_FUNCTIONS
from provenance_guard.lambda_identifiers import parse_image_uri
from provenance_guard.model import ResourceRef

logger = logging.getLogger(__name__)

MAX_IMAGE_FUNCTIONS = 200
GET_FUNCTION = "lambda:GetFunction"

Index = dict[str, set[ResourceRef]]


class ImageFunctionIndex:
    """`repository@digest` of this account's ECR -> the container-image functions whose $LATEST runs it."""

    def __init__(self, clients: ClientFactory, run: RunCache) -> None:
        self._clients = clients
        self._run = run

    def __call__(self, image: ResourceRef) -> Users:
        index, complete = self._run.once(
            (ImageFunctionIndex, image.account, image.region),
            lambda: self._scan(image.account, image.region, image.partition),
        )
        return Users(tuple(sorted(index.get(image.name, set()), key=lambda ref: ref.arn)), complete)

    def _scan(self, account: str, region: str, partition: str) -> tuple[Index, bool]:
        from botocore.exceptions import ClientError

        lam: Any = self._clients.client("lambda", region)
        names = [
            function["FunctionName"]
            for page in lam.get_paginator("list_functions").paginate()
            for function in page.get("Functions", [])
            if function.get("PackageType") == "Image"
        ]
        if len(names) > MAX_IMAGE_FUNCTIONS:
            logger.warning("%d container-image functions in %s: %d are read", len(names), region, MAX_IMAGE_FUNCTIONS)
        index: Index = {}
        for name in names[:MAX_IMAGE_FUNCTIONS]:
            try:
                code = lam.get_function(FunctionName=name).get("Code") or {}
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
                continue
            key = _ecr_image(str(code.get("ResolvedImageUri") or code.get("ImageUri") or ""), account, region)
            if key is not None:
                index.setdefault(key, set()).add(ResourceRef(LAMBDA_FUNCTION, name, account, region, partition))
        return index, len(names) <= MAX_IMAGE_FUNCTIONS


def _ecr_image(uri: str, account: str, region: str) -> str | None:
    try:
        reference = parse_image_uri(uri)
    except ValueError:
        return None
    if not reference.digest or (reference.ecr_account, reference.ecr_region) != (account, region):
        return None
    return f"{reference.repository}@{reference.digest}"


USAGE = (
    Usage(
        artifact=ECR_IMAGE,
        finds=(LAMBDA_FUNCTION,),
        controls=IMAGE_CONTROLS,
        finder=lambda collection: ImageFunctionIndex(collection.clients, collection.run),
        reads=(LIST_FUNCTIONS, GET_FUNCTION),
    ),
)
