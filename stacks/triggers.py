"""The functions of the stack, and the EventBridge rules that reach each (CONTROLS.md §2).

A function judges some resource kinds (`kinds`) and expands others (`expands`); its read permissions are
derived from what those kinds' collectors and expanders declare (`provenance_guard.collect.kinds`),
and its rules from the triggers declared for it (`provenance_guard.triggers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provenance_guard import remediation
from provenance_guard.collect import kinds
from provenance_guard.collect.ami import AMI
from provenance_guard.collect.codeartifact_domain import CODEARTIFACT_DOMAIN
from provenance_guard.collect.codeartifact_package import CODEARTIFACT_PACKAGE_VERSION
from provenance_guard.collect.codeartifact_repository import CODEARTIFACT_REPOSITORY
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.ecr_repository import ECR_REGISTRY, ECR_REPOSITORY
from provenance_guard.collect.ecs_service import ECS_SERVICE, ECS_TASK
from provenance_guard.collect.ecs_task_definition import ECS_TASK_DEFINITION
from provenance_guard.collect.imagebuilder_image import IMAGE_BUILDER_IMAGE
from provenance_guard.collect.instance import INSTANCE
from provenance_guard.collect.lambda_function import CODE_SIGNING_CONFIG, LAMBDA_FUNCTION
from provenance_guard.collect.launch_template import LAUNCH_TEMPLATE
from provenance_guard.controls import registry
from provenance_guard.model import ResourceKind
from provenance_guard.policy import Policy
from provenance_guard.triggers import for_function
from provenance_guard.triggers.base import Delivery


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    pattern: dict[str, Any]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    """Also the directory `functions/<name>/` holding its handler."""
    description: str
    kinds: frozenset[ResourceKind]
    """The kinds it evaluates (their collectors run in it)."""
    expands: frozenset[ResourceKind] = frozenset()
    """The kinds its triggers ask it to expand (their expanders run in it)."""
    timeout_seconds: int = 60
    memory_mb: int = 512
    handler: str = "handler.lambda_handler"
    fans_out: bool = False
    """Sends work to its own queue (the sweep's pages); runs every inventory."""
    rechecks: bool = False
    """Sends provisional results back to its own queue, delayed (`provenance_guard.recheck`), and the users
    of an artifact whose verdict changed (`provenance_guard.blast_radius`), which it then judges too."""

    @property
    def judged(self) -> frozenset[ResourceKind]:
        """The kinds it evaluates: its own and, when it rechecks, the kinds using its artifacts (what an
        image's or AMI's blast radius sends back to its queue)."""
        return self.kinds | frozenset(kinds.users_of(self.kinds)) if self.rechecks else self.kinds

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The EventBridge rules of its triggers (the schedule rule is the stack's own)."""
        return tuple(
            Rule(t.name, t.description, t.pattern) for t in for_function(self.name) if t.delivery is Delivery.RULE
        )

    @property
    def scheduled(self) -> bool:
        return any(t.delivery is Delivery.SCHEDULE for t in for_function(self.name))

    @property
    def read_permissions(self) -> list[str]:
        return sorted(kinds.reads(self.judged, self.expands, inventories=self.fans_out))


AMI_EVENTS = FunctionSpec(
    name="ami_events",
    description="Judges AMIs when they become available, are shared or change state",
    kinds=frozenset({AMI}),
    expands=frozenset({IMAGE_BUILDER_IMAGE}),
    rechecks=True,  # blast radius: the instances and launch templates of an AMI whose verdict changed
)
INSTANCE_EVENTS = FunctionSpec(
    name="instance_events",
    description="Judges instances at launch, and launch templates when they change, by the AMI they launch",
    kinds=frozenset({INSTANCE, LAUNCH_TEMPLATE}),
)
IMAGE_PUSH = FunctionSpec(
    name="image_push",
    description="Judges container images and their repositories on push, replication, delete and configuration change",
    kinds=frozenset({ECR_IMAGE, ECR_REPOSITORY}),
    expands=frozenset({ECR_IMAGE, ECR_REPOSITORY, ECR_REGISTRY}),
    rechecks=True,  # ECR managed signing may still be in progress when a push is judged
)
SCAN_RESULTS = FunctionSpec(
    name="scan_results",
    description="Judges container images when a vulnerability scan completes or a finding changes",
    kinds=frozenset({ECR_IMAGE}),
    expands=frozenset({ECR_IMAGE}),
    rechecks=True,  # blast radius: the services, tasks and functions running an image whose scan verdict changed
)
ECS_EVENTS = FunctionSpec(
    name="ecs_events",
    description="Judges ECS services, standalone tasks and task definitions when tasks start or stop and on changes",
    kinds=frozenset({ECS_SERVICE, ECS_TASK, ECS_TASK_DEFINITION}),
    timeout_seconds=120,
)
LAMBDA_CHANGES = FunctionSpec(
    name="lambda_changes",
    description="Judges Lambda functions when their code, configuration or code signing changes",
    kinds=frozenset({LAMBDA_FUNCTION}),
    expands=frozenset({CODE_SIGNING_CONFIG}),
)
PACKAGE_EVENTS = FunctionSpec(
    name="package_events",
    description="Judges CodeArtifact domains, repositories and package versions when they or their controls change",
    kinds=frozenset({CODEARTIFACT_DOMAIN, CODEARTIFACT_REPOSITORY, CODEARTIFACT_PACKAGE_VERSION}),
    expands=frozenset({CODEARTIFACT_REPOSITORY}),
)
SWEEP = FunctionSpec(
    name="sweep",
    description="Re-checks the whole inventory on a schedule and on demand",
    kinds=frozenset(kind.resource for kind in kinds.inventoried()),
    timeout_seconds=900,
    memory_mb=1024,
    fans_out=True,
)

FUNCTIONS = (
    AMI_EVENTS,
    INSTANCE_EVENTS,
    IMAGE_PUSH,
    SCAN_RESULTS,
    ECS_EVENTS,
    LAMBDA_CHANGES,
    PACKAGE_EVENTS,
    SWEEP,
)
"""The functions every deployment has; `remediation_function` adds one when the policy turns remediation on."""


def remediation_function(policy: Policy) -> FunctionSpec | None:
    """The remediation function, when some control with an action is not `off` (CONTROLS.md §6.4): it
    re-reads and re-judges the kinds those controls judge, and may make only their actions' writes."""
    enabled = enabled_remediations(policy)
    if not enabled:
        return None
    return FunctionSpec(
        name="remediation",
        description="Remediates provenance-guard findings: Security Hub custom action and automatic mode",
        kinds=frozenset(kind for control_id in enabled for kind in registry.get(control_id).kinds),
        handler="handler.lambda_handler",
    )


def enabled_remediations(policy: Policy) -> frozenset[str]:
    """Controls that declare an action and whose remediation mode is not `off`."""
    return frozenset(c for c in remediation.ACTIONS if policy.remediation_mode(c) != "off")


def automatic_remediations(policy: Policy) -> frozenset[str]:
    return frozenset(c for c in remediation.ACTIONS if policy.remediation_mode(c) == "automatic")
