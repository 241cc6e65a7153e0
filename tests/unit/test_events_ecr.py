"""events_ecr.py: the documented ECR and Inspector samples -> work; unusable ones -> EventError."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.ecr_repository import ECR_REGISTRY, ECR_REPOSITORY
from provenance_guard.model import ResourceKind, ResourceRef
from provenance_guard.triggers import parse_event
from provenance_guard.triggers.ecr import PUSHED_IMAGE_CONTROLS, REPOSITORY_CONTROLS
from provenance_guard.triggers.scans import SCANNED_IMAGE_CONTROLS
from provenance_guard.work import Action, EventError, Work
from tests.unit.support import load_event

ECR_SAMPLE_DIGEST = "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234"
GUIDE_DIGEST = "sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE"


def ref(kind: ResourceKind, name: str, account: str = "123456789012", region: str = "us-west-2") -> ResourceRef:
    return ResourceRef(kind, name, account, region)


def image(name: str, account: str = "123456789012", region: str = "us-west-2") -> ResourceRef:
    return ref(ECR_IMAGE, name, account, region)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        pytest.param(
            "ecr-image-action-push.json",
            [
                Work(Action.EVALUATE, ref(ECR_REPOSITORY, "my-repository-name"), REPOSITORY_CONTROLS),
                Work(Action.EXPAND, image(f"my-repository-name@{ECR_SAMPLE_DIGEST}"), PUSHED_IMAGE_CONTROLS),
            ],
            id="push-empty-resources",
        ),
        pytest.param(
            "ecr-image-action-delete.json",
            [Work(Action.ARCHIVE, image(f"my-repository-name@{ECR_SAMPLE_DIGEST}"))],
            id="delete",
        ),
        pytest.param(
            "ecr-replication-action.json",
            [
                Work(
                    Action.EVALUATE,
                    ref(ECR_REPOSITORY, "docker-hub/alpine", region="us-east-1"),
                    REPOSITORY_CONTROLS,
                ),
                Work(
                    Action.EXPAND,
                    image(f"docker-hub/alpine@{ECR_SAMPLE_DIGEST}", region="us-east-1"),
                    PUSHED_IMAGE_CONTROLS,
                ),
            ],
            id="replicated-into-this-registry",
        ),
        pytest.param("ecr-replication-action-failed.json", [], id="replication-failed"),
        pytest.param(
            "ecr-image-scan.json",
            [
                Work(
                    Action.EXPAND,
                    image(f"my-repository-name@{ECR_SAMPLE_DIGEST}", region="us-east-1"),
                    SCANNED_IMAGE_CONTROLS,
                )
            ],
            id="basic-scan",
        ),
        pytest.param(
            "inspector2-scan-ecr.json",
            [
                Work(
                    Action.EXPAND,
                    image(
                        "inspector2@sha256:965fbcae990b0467ed5657caceaec165018ef44a4d2d46c7cdea80a9dff0d1ea",
                        "111122223333",
                        "us-east-1",
                    ),
                    SCANNED_IMAGE_CONTROLS,
                )
            ],
            id="inspector-scan-repository-arn",
        ),
        pytest.param(
            "inspector2-scan-ecr-ecr-userguide.json",
            [
                Work(
                    Action.EXPAND,
                    image(f"amazon/amazon-ecs-sample@{GUIDE_DIGEST}", region="us-east-2"),
                    SCANNED_IMAGE_CONTROLS,
                )
            ],
            id="inspector-scan-ecr-guide",
        ),
        pytest.param(
            "inspector2-finding-ecr.json",
            [
                Work(
                    Action.EXPAND,
                    image(
                        "inspector2@sha256:84f507df33c6864d49c296fb734192696e4cb6f78166ac51ac8b9b118181085d",
                        region="eu-central-1",
                    ),
                    frozenset({"PG.ECR.5"}),
                )
            ],
            id="inspector-finding",
        ),
        pytest.param(
            "inspector2-finding-ecr-ecr-userguide.json",
            [
                Work(
                    Action.EXPAND,
                    image(f"amazon/amazon-ecs-sample@{GUIDE_DIGEST}", region="us-east-2"),
                    frozenset({"PG.ECR.5"}),
                )
            ],
            id="inspector-finding-non-iso-times",
        ),
        pytest.param(
            "cloudtrail-ecr-createrepository.json",
            [
                Work(
                    Action.EVALUATE,
                    ref(ECR_REPOSITORY, "testrepo", region="us-east-2"),
                    REPOSITORY_CONTROLS,
                )
            ],
            id="create-repository",
        ),
        pytest.param(
            "cloudtrail-ecr-putimagescanningconfiguration.json",
            [
                Work(
                    Action.EVALUATE,
                    ref(ECR_REPOSITORY, "testrepo", region="us-east-2"),
                    REPOSITORY_CONTROLS,
                )
            ],
            id="put-image-scanning",
        ),
        pytest.param(
            "cloudtrail-ecr-putimagetagmutability.json",
            [
                Work(
                    Action.EVALUATE,
                    ref(ECR_REPOSITORY, "testrepo", region="us-east-2"),
                    REPOSITORY_CONTROLS,
                )
            ],
            id="put-tag-mutability",
        ),
        pytest.param(
            "cloudtrail-ecr-putregistryscanningconfiguration.json",
            [
                Work(
                    Action.EXPAND,
                    ref(ECR_REGISTRY, "123456789012", region="us-east-2"),
                    frozenset({"PG.ECR.1"}),
                )
            ],
            id="registry-scanning",
        ),
        pytest.param("ecr-referrer-action-restore.json", [], id="referrer-sbom-restore"),
        pytest.param(
            "cloudtrail-ecr-deleterepository.json",
            [Work(Action.EXPAND, ref(ECR_REPOSITORY, "testrepo", region="us-east-2"))],
            id="delete-repository",
        ),
    ],
)
def test_documented_events(fixture: str, expected: list[Work]) -> None:
    assert parse_event(load_event(fixture)) == expected


def test_an_inspector_finding_that_closes_re_evaluates_the_image() -> None:
    event = load_event("inspector2-finding-ecr.json")
    event["detail"]["status"] = "CLOSED"
    [work] = parse_event(event)
    assert work.action is Action.EXPAND  # the image, and the indexes that list it
    assert work.controls == frozenset({"PG.ECR.5"})


def test_an_inspector_finding_falls_back_to_the_resource_arn() -> None:
    event = load_event("inspector2-finding-ecr.json")
    del event["detail"]["resources"][0]["details"]
    [work] = parse_event(event)
    assert work.resource.name == "inspector2@sha256:84f507df33c6864d49c296fb734192696e4cb6f78166ac51ac8b9b118181085d"


def test_failed_pushes_and_other_actions_ask_for_nothing() -> None:
    failed = load_event("ecr-image-action-push.json")
    failed["detail"]["result"] = "FAILURE"
    assert parse_event(failed) == []
    other = load_event("ecr-image-action-push.json")
    other["detail"]["action-type"] = "ARCHIVE"
    assert parse_event(other) == []


NOTATION = "application/vnd.cncf.notary.signature"


@pytest.mark.parametrize("action", ["PUSH", "DELETE", "UPDATE_STORAGE_CLASS"])
def test_a_signature_referrer_action_re_judges_its_subject_image(action: str) -> None:
    event = changed("ecr-referrer-action-restore.json", "detail.artifact-media-type", NOTATION)
    event["detail"]["action-type"] = action
    digest = event["detail"]["image-digest"]
    assert parse_event(event) == [
        Work(Action.EVALUATE, ref(ECR_IMAGE, f"sbom@{digest}", region="us-east-1"), frozenset({"PG.ECR.3"}))
    ]


def test_a_failed_or_non_signature_referrer_action_asks_for_nothing() -> None:
    failed = changed("ecr-referrer-action-restore.json", "detail.artifact-media-type", NOTATION)
    failed["detail"]["result"] = "FAILURE"
    assert parse_event(failed) == []
    assert parse_event(load_event("ecr-referrer-action-restore.json")) == []


def changed(fixture: str, path: str, value: Any) -> dict[str, Any]:
    event = copy.deepcopy(load_event(fixture))
    target = event
    *parents, leaf = path.split(".")
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is None:
        del target[leaf]
    else:
        target[leaf] = value
    return event


@pytest.mark.parametrize(
    ("event", "message"),
    [
        pytest.param(
            changed("ecr-image-action-push.json", "detail.image-digest", None),
            "detail.image-digest is missing",
            id="no-digest",
        ),
        pytest.param(
            changed("ecr-image-action-push.json", "detail.image-digest", "latest"),
            "'latest' is not an image digest",
            id="tag-not-digest",
        ),
        pytest.param(
            changed("ecr-image-action-push.json", "detail.repository-name", "My Repo"),
            "'My Repo' is not an ECR repository name",
            id="bad-name",
        ),
        pytest.param(
            changed("ecr-image-scan.json", "detail.repository-name", ""),
            "detail.repository-name is not a non-empty string",
            id="empty-name",
        ),
        pytest.param(
            changed(
                "inspector2-scan-ecr.json",
                "detail.repository-name",
                "arn:aws:ecr:us-east-1:444455556666:repository/other",
            ),
            "the event names an image of account 444455556666, not of the event's account",
            id="foreign-account",
        ),
        pytest.param(
            changed("inspector2-finding-ecr.json", "detail.resources", None),
            "detail.resources is missing or not a list",
            id="no-resources",
        ),
        pytest.param(
            changed("inspector2-finding-ecr.json", "detail.resources.0.type", "AWS_EC2_INSTANCE"),
            "the finding concerns no ECR container image",
            id="not-an-image",
        ),
        pytest.param(
            changed("inspector2-finding-ecr.json", "detail.resources.0.details.awsEcrContainerImage", "a string"),
            "resources[].details.awsEcrContainerImage is not an object",
            id="image-details-not-an-object",
        ),
        pytest.param(
            changed("cloudtrail-ecr-putimagetagmutability.json", "detail.requestParameters.repositoryName", None),
            "detail.requestParameters.repositoryName is missing",
            id="cloudtrail-no-repository",
        ),
    ],
)
def test_unusable_events_fail_clearly(event: dict[str, Any], message: str) -> None:
    with pytest.raises(EventError) as raised:
        parse_event(event)
    assert str(raised.value) == message


def test_a_referrer_whose_artifact_type_is_not_a_string_asks_for_nothing() -> None:
    """Not a signature this service knows, so nothing to re-judge (and no crash on an unhashable value)."""
    assert parse_event(changed("ecr-referrer-action-restore.json", "detail.artifact-media-type", ["x"])) == []


def test_the_ecr_parsers_module_can_be_imported_first() -> None:
    """The import graph has no cycle: a family's trigger module loads on its own, before the registry."""
    import subprocess
    import sys

    code = "import provenance_guard.triggers.ecr, provenance_guard.triggers as t; print(len(t.TRIGGERS))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("source-account", "12345", "detail.source-account '12345' is not a 12-digit account id"),
        ("source-region", "us_west_2", "detail.source-region 'us_west_2' is not a Region name"),
        ("source-region", None, "detail.source-region is missing"),
        ("image-digest", None, "detail.image-digest is missing"),
        ("repository-name", "Not A Repo", "is not an ECR repository name"),
    ],
)
def test_a_malformed_replication_event_fails_clearly(field: str, value: Any, message: str) -> None:
    event = load_event("ecr-replication-action.json")
    if value is None:
        del event["detail"][field]
    else:
        event["detail"][field] = value
    with pytest.raises(EventError, match=message):
        parse_event(event)


def test_a_replication_action_other_than_replicate_asks_for_nothing() -> None:
    event = load_event("ecr-replication-action.json")
    event["detail"]["action-type"] = "DELETE"
    assert parse_event(event) == []


COSIGN_SUBJECT = "sha256:51c046cfda6db83ee038c6c4a922739f3ba0a1d346649b1765dbdf7ab4943419"


def test_a_legacy_cosign_signature_push_re_judges_the_image_it_signs() -> None:
    assert parse_event(load_event("ecr-image-action-push-cosign-signature.json")) == [
        Work(Action.EVALUATE, image(f"my-repository-name@{COSIGN_SUBJECT}"), frozenset({"PG.ECR.3"}))
    ]


def test_a_deleted_legacy_cosign_signature_re_judges_the_image_it_signed() -> None:
    event = changed("ecr-image-action-push-cosign-signature.json", "detail.action-type", "DELETE")
    assert parse_event(event) == [
        Work(Action.ARCHIVE, image(f"my-repository-name@{ECR_SAMPLE_DIGEST}")),
        Work(Action.EVALUATE, image(f"my-repository-name@{COSIGN_SUBJECT}"), frozenset({"PG.ECR.3"})),
    ]


@pytest.mark.parametrize("tag", ["sha256-abc.sig", f"sha256-{'a' * 64}.att", f"sha256-{'a' * 64}", "v1.sig"])
def test_other_tags_are_ordinary_pushes(tag: str) -> None:
    event = changed("ecr-image-action-push-cosign-signature.json", "detail.image-tag", tag)
    assert [w.action for w in parse_event(event)] == [Action.EVALUATE, Action.EXPAND]


def test_a_cosign_bundle_referrer_re_judges_its_subject() -> None:
    assert parse_event(load_event("ecr-referrer-action-push-cosign-bundle.json")) == [
        Work(
            Action.EVALUATE, image(f"my-repository-name@{COSIGN_SUBJECT}", region="us-east-1"), frozenset({"PG.ECR.3"})
        )
    ]
