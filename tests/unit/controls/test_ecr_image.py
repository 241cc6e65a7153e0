"""PG.ECR.4 (provenance), pure: recorded base images, pull-through upstreams, indexes, artifacts."""

from __future__ import annotations

import pytest

from provenance_guard.collect.ecr_image_model import BaseImage
from provenance_guard.controls.ecr_image import is_trusted, registry_location, trusted_provenance
from provenance_guard.model import Status
from provenance_guard.policy import Policy
from tests.unit.ecr_support import OTHER_DIGEST, image, image_ref
from tests.unit.support import ACCOUNT, CONTEXT

POLICY = Policy.from_document(
    {"version": 1, "container": {"trusted_registries": ["self", "public.ecr.aws/docker/library"]}}
)


@pytest.mark.parametrize(
    ("reference", "location"),
    [
        ("alpine", "docker.io/library/alpine"),
        ("alpine:3.20", "docker.io/library/alpine"),
        ("bitnami/redis:7", "docker.io/bitnami/redis"),
        ("docker.io/library/alpine@sha256:" + "a" * 64, "docker.io/library/alpine"),
        ("registry-1.docker.io/library/nginx:1", "docker.io/library/nginx"),
        ("localhost:5000/base:1", "localhost:5000/base"),
        ("public.ecr.aws/docker/library/alpine:3.20", "public.ecr.aws/docker/library/alpine"),
        (
            f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/base/al2023:1",
            f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/base/al2023",
        ),
    ],
)
def test_registry_location(reference, location):
    assert registry_location(reference) == location


@pytest.mark.parametrize(
    ("location", "trusted"),
    [
        (f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/base/al2023", True),
        (f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/base", True),
        ("999988887777.dkr.ecr.us-east-1.amazonaws.com/base", False),
        ("public.ecr.aws/docker/library/alpine", True),
        ("public.ecr.aws/docker/libraryx/alpine", False),
        ("public.ecr.aws/bitnami/redis", False),
        ("docker.io/library/alpine", False),
    ],
)
def test_trusted_registries_are_host_and_path_prefixes(location, trusted):
    assert is_trusted(location, POLICY.container.trusted_registries, ACCOUNT) is trusted


def test_a_base_image_from_this_account_passes():
    verdict = trusted_provenance(image(), POLICY, CONTEXT)
    assert verdict.status is Status.PASSED
    assert verdict.evidence["RecordedIn"] == "config label"


def test_an_untrusted_base_image_fails():
    untrusted = image(
        base_image=BaseImage("docker.io/someone/python:3.12", "sha256:" + "e" * 64, "manifest annotation")
    )
    verdict = trusted_provenance(untrusted, POLICY, CONTEXT)
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].code == "UNTRUSTED_BASE_IMAGE"
    assert "docker.io/someone/python is not in container.trusted_registries" in verdict.reasons[0].description
    assert verdict.evidence["BaseImageDigest"] == "sha256:" + "e" * 64


def test_no_recorded_base_image_is_unknown_provenance():
    verdict = trusted_provenance(image(base_image=None), POLICY, CONTEXT)
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].code == "NO_BASE_IMAGE"


def test_an_unreadable_manifest_cannot_be_judged():
    verdict = trusted_provenance(
        image(base_image=None, oci_error="GET ...: HTTP 500 after 4 attempts"), POLICY, CONTEXT
    )
    assert verdict.status is Status.NOT_AVAILABLE


@pytest.mark.parametrize(
    ("upstream", "status"),
    [("public.ecr.aws/docker/library/nginx", Status.PASSED), ("quay.io/someone/tool", Status.FAILED)],
)
def test_pull_through_cache_images_are_judged_by_their_upstream(upstream, status):
    cached = image(repository="ecr-public/docker/library/nginx", upstream=upstream, base_image=None)
    verdict = trusted_provenance(cached, POLICY, CONTEXT)
    assert verdict.status is status
    assert verdict.evidence["PullThroughUpstream"] == upstream


def test_artifacts_are_not_judged():
    assert trusted_provenance(image(kind="artifact", base_image=None), POLICY, CONTEXT) is None


def test_an_index_summarises_its_platforms():
    arm = image(ref=image_ref(digest=OTHER_DIGEST), digest=OTHER_DIGEST)
    amd = image(base_image=BaseImage("docker.io/someone/base:1", None, "config label"))
    index = image(kind="index", scan=None, base_image=None, platforms=(("linux/arm64", arm), ("linux/amd64", amd)))

    verdict = trusted_provenance(index, POLICY, CONTEXT)

    assert verdict.status is Status.FAILED
    assert [r.description.split(":")[0] for r in verdict.reasons] == ["linux/amd64"]
    assert verdict.evidence["Platforms"].startswith("linux/arm64 sha256:cdcdcdcdcdcd: PASSED; linux/amd64")
    clean = image(kind="index", scan=None, base_image=None, platforms=(("linux/arm64", arm),))
    assert trusted_provenance(clean, POLICY, CONTEXT).status is Status.PASSED


def test_an_index_whose_platform_image_is_gone_cannot_be_judged():
    index = image(kind="index", scan=None, platforms=(("linux/arm64", None),))
    verdict = trusted_provenance(index, POLICY, CONTEXT)
    assert verdict.status is Status.NOT_AVAILABLE
    assert verdict.reasons[0].code == "PLATFORM_MISSING"


PARTNER = "444455556666.dkr.ecr.us-west-2.amazonaws.com"
OWN_OTHER_REGION = f"{ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com"


def replicating(source: str, trusted: tuple[str, ...] = ("self", "public.ecr.aws/docker/library")) -> Policy:
    return Policy.from_document(
        {
            "version": 1,
            "container": {
                "trusted_registries": list(trusted),
                "replicated_repositories": [
                    {"repositories": ["other/*"], "source": "999999999999.dkr.ecr.eu-west-1.amazonaws.com"},
                    {"repositories": ["team/*"], "source": source},
                ],
            },
        }
    )


def test_a_replica_from_a_trusted_source_with_a_trusted_base_passes():
    verdict = trusted_provenance(image(), replicating(OWN_OTHER_REGION), CONTEXT)
    assert verdict.status is Status.PASSED
    assert verdict.reasons[0].description.startswith(f"replicated from {OWN_OTHER_REGION}/team/app, a trusted")
    assert verdict.evidence["ReplicatedFrom"] == f"{OWN_OTHER_REGION}/team/app"
    assert verdict.evidence["ReplicationDeclaredIn"] == "container.replicated_repositories[1]"


def test_a_replica_from_an_untrusted_source_fails_even_with_a_trusted_base():
    verdict = trusted_provenance(image(), replicating(PARTNER), CONTEXT)
    assert verdict.status is Status.FAILED
    assert [r.code for r in verdict.reasons] == ["UNTRUSTED_REPLICATION_SOURCE"]
    assert f"{PARTNER}/team/app, which is not in container.trusted_registries" in verdict.reasons[0].description


def test_a_replica_from_a_trusted_source_is_still_judged_by_its_base_image():
    trusting_partner = replicating(PARTNER, ("self", PARTNER))
    assert trusted_provenance(image(), trusting_partner, CONTEXT).status is Status.PASSED
    untrusted_base = image(base_image=BaseImage("docker.io/someone/python:3.12", None, "config label"))
    verdict = trusted_provenance(untrusted_base, trusting_partner, CONTEXT)
    assert verdict.status is Status.FAILED
    assert [r.code for r in verdict.reasons] == ["UNTRUSTED_BASE_IMAGE"]


def test_an_untrusted_replica_without_base_or_manifest_names_every_reason():
    no_base = trusted_provenance(image(base_image=None), replicating(PARTNER), CONTEXT)
    assert [r.code for r in no_base.reasons] == ["UNTRUSTED_REPLICATION_SOURCE", "NO_BASE_IMAGE"]
    unreadable = trusted_provenance(image(base_image=None, oci_error="HTTP 500"), replicating(PARTNER), CONTEXT)
    assert unreadable.status is Status.FAILED  # the source alone fails it
    assert [r.code for r in unreadable.reasons] == ["UNTRUSTED_REPLICATION_SOURCE", "UNREADABLE"]


def test_repositories_no_entry_covers_are_not_replicas():
    verdict = trusted_provenance(image(repository="solo/app"), replicating(PARTNER), CONTEXT)
    assert verdict.status is Status.PASSED
    assert verdict.evidence["ReplicatedFrom"] == "-"
