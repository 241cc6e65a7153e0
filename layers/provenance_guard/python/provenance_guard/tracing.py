"""X-Ray tracing of the handlers, set up on the first invocation instead of at import.

Powertools' `Tracer()` imports the X-Ray SDK, whose recorder builds a botocore client for its sampler
as the module loads: that alone is more than `import boto3` costs. Made at import, every cold start paid
it, traced or not. Here the Tracer is made when a handler is first invoked, and only when tracing is on
(in Lambda, `POWERTOOLS_TRACE_DISABLED` not true, as Powertools itself decides); then the handler runs
under `Tracer.capture_lambda_handler`, exactly as a decorator written at import would have it, and the
Tracer patches botocore so every AWS call is a subsegment.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

SERVICE = "provenance-guard"
Handler = TypeVar("Handler", bound=Callable[..., Any])


def tracing_enabled() -> bool:
    """What Powertools' Tracer decides: on in Lambda (not SAM or Chalice local) unless disabled by env."""
    from aws_lambda_powertools.shared import constants
    from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

    if resolve_truthy_env_var_choice(env=os.getenv(constants.TRACER_DISABLED_ENV, "false")):
        return False
    local = os.getenv(constants.SAM_LOCAL_ENV) or os.getenv(constants.CHALICE_LOCAL_ENV)
    return bool(os.getenv(constants.LAMBDA_TASK_ROOT_ENV)) and not local


@functools.cache
def tracer() -> Tracer:
    """The process's Tracer (imports the X-Ray SDK)."""
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)


def capture_lambda_handler(handler: Handler) -> Handler:
    """`handler`, traced like `@Tracer().capture_lambda_handler(capture_response=False)` once it is
    first invoked with tracing on; called as it is when tracing is off."""
    chosen: list[Callable[..., Any]] = []

    @functools.wraps(handler)
    def invoke(event: Any, context: Any, **kwargs: Any) -> Any:
        if not chosen:
            traced = tracing_enabled()
            chosen.append(tracer().capture_lambda_handler(handler, capture_response=False) if traced else handler)
        return chosen[0](event, context, **kwargs)

    return invoke  # type: ignore[return-value]
