"""Launch template CloudTrail calls -> work (CONTROLS.md §6.2): the template is judged again (PG.EC2.2);
a deleted one is gone when re-read, and its findings are archived. Delivered to `instance_events`, which
judges instances by their AMI the same way (docs/decisions/compute-functions.md).

EC2 records these newer calls with the request and response wrapped in `<Call>Request` /
`<Call>Response` objects (AWS documents no sample; see tests/fixtures/events/SOURCES.md); the id is taken
from the response when there is one, else from the request, wrapped or not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from provenance_guard.collect.launch_template import LAUNCH_TEMPLATE
from provenance_guard.triggers.base import Envelope, Parser, Trigger, nested
from provenance_guard.triggers.instance import FUNCTION
from provenance_guard.work import Action, EventError, Work

TEMPLATE_ID = re.compile(r"^lt-[0-9a-f]{8,17}$")
CONTROLS = frozenset({"PG.EC2.2"})
RESPONSE_PATHS = (("launchTemplate", "launchTemplateId"), ("launchTemplateVersion", "launchTemplateId"))


def _template_id(detail: Mapping[str, Any], call: str) -> str:
    candidates: list[Any] = []
    for wrapper in (f"{call}Response", None):
        for path in RESPONSE_PATHS:
            candidates.append(nested(detail, "responseElements", *((wrapper,) if wrapper else ()), *path))
    for wrapper in (f"{call}Request", None):
        candidates.append(nested(detail, "requestParameters", *((wrapper,) if wrapper else ()), "LaunchTemplateId"))
    found = next((c for c in candidates if c is not None), None)
    if found is None:
        raise EventError(f"the {call} record names no launch template id (a name alone cannot be judged)")
    if not isinstance(found, str) or not TEMPLATE_ID.match(found):
        raise EventError(f"{found!r} is not a launch template id")
    return found


def _parser(call: str) -> Parser:
    def parse(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
        return [Work(Action.EVALUATE, envelope.ref(LAUNCH_TEMPLATE, _template_id(detail, call)), CONTROLS)]

    parse.__doc__ = f"CloudTrail {call}: the launch template is judged again."
    return parse


CALLS = ("CreateLaunchTemplate", "CreateLaunchTemplateVersion", "ModifyLaunchTemplate", "DeleteLaunchTemplate")
TRIGGERS = (
    Trigger(
        "LaunchTemplateCalls",
        "CloudTrail EC2 launch template calls -> judge the template (archive when deleted)",
        FUNCTION,
        source="aws.ec2",
        calls={call: _parser(call) for call in CALLS},
    ),
)
