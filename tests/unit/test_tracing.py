"""Tracing is set up on the first invocation: importing a handler loads no X-Ray SDK, and in Lambda
(tracing on) an invocation still sends its subsegment to the X-Ray daemon."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

INVOKE = """
import json, sys
from dataclasses import dataclass
import handler

print(json.dumps(sorted(m for m in sys.modules if m.startswith("aws_xray_sdk"))), flush=True)


@dataclass
class Context:
    function_name: str = "ami_events"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ami_events"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


print(json.dumps(handler.lambda_handler({"Records": []}, Context(), service="unused: no records")), flush=True)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("aws_xray_sdk"))), flush=True)
"""


def run_handler(function: str, **environment: str) -> tuple[list[str], dict[str, object], list[str]]:
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "false",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_NAMESPACE": "ProvenanceGuard",
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "-c", INVOKE],
        cwd=ROOT / "functions" / function,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    before, response, after = (json.loads(line) for line in result.stdout.splitlines()[-3:])
    return before, response, after


def test_importing_a_handler_loads_no_xray_sdk_and_outside_lambda_nothing_traces():
    before, response, after = run_handler("ami_events")
    assert before == []
    assert response == {"batchItemFailures": []}
    assert after == []  # not in Lambda: Powertools would not trace either


def test_in_lambda_the_first_invocation_traces_and_sends_its_subsegment_to_the_daemon():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        daemon.settimeout(30)
        address = f"127.0.0.1:{daemon.getsockname()[1]}"
        before, response, after = run_handler(
            "ami_events",
            LAMBDA_TASK_ROOT=str(ROOT / "functions" / "ami_events"),
            AWS_LAMBDA_FUNCTION_NAME="ami_events",
            AWS_XRAY_DAEMON_ADDRESS=address,
            _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )
        packet = daemon.recv(65536).decode()
    assert before == []
    assert response == {"batchItemFailures": []}
    assert "aws_xray_sdk.core" in after
    header, _, body = packet.partition("\n")
    assert json.loads(header) == {"format": "json", "version": 1}
    subsegment = json.loads(body)
    assert subsegment["name"] == "## sqs_lambda_handler"
    assert subsegment["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"
