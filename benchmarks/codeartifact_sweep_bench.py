"""Benchmark: the sweep's AWS calls for the CodeArtifact kinds, in-process against the emulator.

Seeds one domain with a PyPI mirror holding many public package versions, an internal repository with the
internal namespace's versions and an application repository reading both, then plans and runs a sweep
(read-only: no Security Hub, no state table) and counts the AWS calls of the inventory and of the
evaluation, per operation and per judged resource of each kind. The mirror's public versions must cost the
inventory nothing but the ListPackages pages they share with the internal names' prefix.
Run: `python benchmarks/codeartifact_sweep_bench.py [internal packages] [versions each] [public packages]`.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from typing import Any

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    POWERTOOLS_METRICS_DISABLED="true",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="WARNING",
)

import boto3
from moto import mock_aws

from provenance_guard.collect.kinds import inventoried
from provenance_guard.policy import Policy
from provenance_guard.service import build_service
from provenance_guard.settings import Settings
from provenance_guard.sweep import SweepScope, page_work, plan_pages

ACCOUNT, REGION, DOMAIN = "123456789012", "us-east-1", "acme"
KINDS = ("codeartifact-domain", "codeartifact-repository", "codeartifact-package-version")


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    def take(self) -> Counter[str]:
        taken, self.calls = self.calls, Counter()
        return taken


def seed(internal: int, versions: int, public: int) -> None:
    from provenance_guard_cli.emulator import install
    from provenance_guard_cli.emulator.codeartifact_seed import seed_package_version

    install()
    codeartifact = boto3.client("codeartifact", region_name=REGION)
    codeartifact.create_domain(domain=DOMAIN)
    codeartifact.create_repository(domain=DOMAIN, repository="pypi-store")
    codeartifact.associate_external_connection(domain=DOMAIN, repository="pypi-store", externalConnection="public:pypi")
    codeartifact.create_repository(domain=DOMAIN, repository="internal")
    upstreams = [{"repositoryName": "internal"}, {"repositoryName": "pypi-store"}]
    codeartifact.create_repository(domain=DOMAIN, repository="app", upstreams=upstreams)
    codeartifact.create_package_group(domain=DOMAIN, packageGroup="/pypi//acme~")
    for n in range(internal):
        for v in range(versions):
            seed_package_version(DOMAIN, "internal", "pypi", f"acme-lib{n}", f"1.{v}.0", region=REGION)
    for n in range(public):
        seed_package_version(
            DOMAIN,
            "pypi-store",
            "pypi",
            f"public-lib{n}",
            "1.0.0",
            origin_type="EXTERNAL",
            external_connection="public:pypi",
            region=REGION,
        )


def main(internal: int, versions: int, public: int) -> None:
    with mock_aws():
        seed(internal, versions, public)
        counter = CallCounter()
        session = boto3.session.Session(region_name=REGION)
        session.events.register("before-call", counter)
        from provenance_guard.clients import ClientFactory

        clients = ClientFactory(session=session)
        policy = Policy.from_document({"packages": {"internal_namespaces": ["pypi:acme-*"]}})
        settings = Settings(
            table_name="",
            topic_arn=None,
            policy_parameter=None,
            policy_file=_policy_file(),
            function="bench",
        )
        service = build_service(settings, clients, read_only=True)
        wanted = [k for k in inventoried() if k.resource.value in KINDS]
        pages = list(plan_pages(clients, None, SweepScope(ACCOUNT, REGION, "aws"), wanted, policy=policy))
        inventory = counter.take()
        judged: Counter[str] = Counter()
        for message in pages:
            work = page_work(message)
            judged.update(w.resource.kind.value for w in work)
            service.pipeline.run(work)
        evaluation = counter.take()
    print(f"seeded: {internal} internal packages x {versions} versions, {public} public versions in the mirror")
    print(f"judged: {dict(judged)}; pages: {len(pages)}")
    print(f"inventory calls ({sum(inventory.values())}): {dict(sorted(inventory.items()))}")
    print(f"evaluation calls ({sum(evaluation.values())}): {dict(sorted(evaluation.items()))}")
    resources = sum(judged.values())
    print(f"calls per judged resource: {(sum(inventory.values()) + sum(evaluation.values())) / max(resources, 1):.2f}")


def _policy_file() -> str:
    import tempfile

    handle, path = tempfile.mkstemp(suffix=".yaml")
    with os.fdopen(handle, "w") as written:
        written.write('version: 1\npackages:\n  internal_namespaces: ["pypi:acme-*"]\n')
    return path


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:4]] + [20, 10, 2000][len(sys.argv[1:4]) :]
    main(*arguments)
