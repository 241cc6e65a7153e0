"""Property-based fuzzing of every handler (the six functions of `stacks.triggers.FUNCTIONS`) with batches
that mix generated malformed records with valid ones, all built from the documented sample events of
the handler's own triggers (`tests.unit.handler_samples`).

For every batch: the handler does not raise; it reports nothing for retry (no fault is injected, so
every failure would be a permanent one retried); each valid record is processed ("work done", never
"event rejected"); each record the parser refuses is logged once as "event rejected" with exactly the
parser's reason; every rejection line has a reason; and a `Records` entry that is no SQS record is
rejected too.

Bounded to keep `make test` fast: FUZZ_EXAMPLES batches per handler (default 12, about two seconds
each); run more with e.g. `FUZZ_EXAMPLES=500 pytest tests/unit/fuzz`. Failing examples are shrunk and
printed; nothing is written to disk (no example database).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provenance_guard.failures import reason
from provenance_guard.runtime import event_of, handle_sqs_batch
from provenance_guard.service import Service
from provenance_guard.triggers import parse_event
from provenance_guard.work import EventError
from tests.unit.fuzz.records import NOT_RECORDS, bodies
from tests.unit.handler_samples import HANDLERS, SWEEP, Resources, handler_events
from tests.unit.support import REGION, HandlerLog, sqs_record

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
REJECTIONS = ("event rejected", "item rejected", "finding rejected")


@pytest.fixture
def resources(make_ami: Callable[..., str], ec2: Any) -> Resources:
    image = make_ami(launch_permissions=[{"Group": "all"}])
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="fuzz/app")
    return Resources(image, instance, "fuzz/app")


@pytest.fixture
def deployed(make_service: Callable[..., Service], local_registry: str, monkeypatch: pytest.MonkeyPatch) -> Service:
    """A service as a function in REGION runs it (its own partition known), reading a real registry."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    return make_service(registry_url=local_registry, region=REGION)


def parser_reason(body: object, function: str) -> str | None:
    """The reason the event layer gives for refusing `body`, or None when it takes it."""
    try:
        parse_event(event_of(body), SWEEP if function == SWEEP else None, "aws")
    except EventError as error:
        return reason(error)
    return None


@pytest.mark.parametrize("function", HANDLERS)
def test_malformed_records_are_rejected_with_their_reason_and_valid_ones_processed(
    function: str, deployed: Service, resources: Resources, handler_log: HandlerLog
) -> None:
    events = handler_events(function, resources)
    assert events, f"no documented sample or own message reaches {function}"
    for event in events:
        assert parser_reason(json.dumps(event), function) is None, event

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        # The account the fixtures made is shared by every example on purpose: valid records are
        # idempotent, and a fresh emulated account per example would cost most of the time budget.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        valid=st.lists(st.sampled_from(events), min_size=1, max_size=2),
        junk=st.lists(bodies(events), min_size=1, max_size=6),
        not_records=st.lists(NOT_RECORDS, max_size=1),
        order=st.randoms(use_true_random=False),
    )
    def check(valid: list[dict[str, Any]], junk: list[object], not_records: list[object], order: Any) -> None:
        records: list[object] = [
            *(sqs_record(f"valid-{n}", json.dumps(event)) for n, event in enumerate(valid)),
            *({**sqs_record(f"junk-{n}", ""), "body": body} for n, body in enumerate(junk)),
            *not_records,
        ]
        order.shuffle(records)
        handler_log.take()

        response = handle_sqs_batch({"Records": records}, deployed, sweep=function == SWEEP)

        assert response == {"batchItemFailures": []}
        lines = handler_log.take()
        assert not [line for line in lines if line["level"] == "ERROR"], [line["message"] for line in lines]
        rejections = [line for line in lines if line["message"] in REJECTIONS]
        assert all(isinstance(line.get("reason"), str) and line["reason"] for line in rejections)
        rejected = [line for line in rejections if line["message"] == "event rejected"]
        rejected_ids = Counter(line.get("messageId") for line in rejected)
        assert rejected_ids[None] == len(not_records)
        for n in range(len(valid)):
            assert rejected_ids[f"valid-{n}"] == 0
            assert any(line["message"] == "work done" and line.get("messageId") == f"valid-{n}" for line in lines)
        assert all(line.get("messageId", "junk").startswith("junk") for line in rejections)
        for n, body in enumerate(junk):
            expected = parser_reason(body, function)
            reasons = [line["reason"] for line in rejected if line.get("messageId") == f"junk-{n}"]
            assert reasons == [expected] if expected is not None else len(reasons) <= 1

    check()
