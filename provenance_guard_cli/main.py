"""`provenance-guard`: the command line (CONTROLS.md §5)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from provenance_guard.model import Severity
from provenance_guard.settings import ENV_REGISTRY_URL
from provenance_guard_cli.routes import PROJECT_ROOT

DEFAULT_POLICY = PROJECT_ROOT / "policy.yaml"


CANNOT_RUN = 2
"""Exit code when a verb could not do its job (bad file, unreachable endpoint, refused AWS call);
1 stays reserved for what a verb reports: an invalid policy, failed records, `--fail-on` findings."""


def main(argv: Sequence[str] | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except (OSError, ValueError, RuntimeError, BotoCoreError, ClientError) as error:
        # OSError: files, ports; ValueError: JSON, YAML, PolicyError; RuntimeError: the CLI's own
        # EvaluateError, TemplateError, RegistryUnavailableError. A bug still shows its traceback.
        print(f"provenance-guard {args.verb}: {type(error).__name__}: {error}", file=sys.stderr)
        return CANNOT_RUN
    return code


def _controls(args: argparse.Namespace) -> int:
    from provenance_guard.controls import registry
    from provenance_guard_cli.output import table

    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": c.id,
                        "title": c.title,
                        "severity": c.severity.value,
                        "resource": c.resource_kind.asff_type,
                        "resource_kind": c.resource_kind.value,
                        "permissions": list(c.permissions),
                        "remediation": {"text": c.remediation_text, "url": c.remediation_url},
                        "related_requirements": list(c.related_requirements),
                    }
                    for c in registry
                ],
                indent=2,
            )
        )
        return 0
    rows = [[c.id, c.severity.value, c.resource_kind.value, c.title, ", ".join(c.permissions)] for c in registry]
    print(table(["ID", "SEVERITY", "RESOURCE", "TITLE", "PERMISSIONS"], rows, max_width=80))
    return 0


def _policy_validate(args: argparse.Namespace) -> int:
    from provenance_guard.policy import PolicyError
    from provenance_guard.policy_source import load_policy_file

    try:
        load_policy_file(args.file)
    except PolicyError as error:
        print(f"{args.file}: invalid: {error}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:  # unreadable file, YAML/JSON syntax error
        print(f"{args.file}: cannot be read: {error}", file=sys.stderr)
        return 1
    print(f"{args.file}: valid")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from provenance_guard_cli.backing import ensure_backing, use_emulator_credentials
    from provenance_guard_cli.output import event_json, event_summary
    from provenance_guard_cli.replay import Replayer
    from provenance_guard_cli.routes import load_template, routes_from_template

    events = []
    for name in args.events:
        try:
            events.append((name, json.loads(Path(name).read_text())))
        except (OSError, json.JSONDecodeError) as error:
            print(f"{name}: cannot be read as JSON: {error}", file=sys.stderr)
            return 2
    routes = routes_from_template(load_template(Path(args.template) if args.template else None))
    use_emulator_credentials(args.endpoint_url)
    backing = ensure_backing(args.endpoint_url, args.region, Path(args.policy), args.registry_url)
    replayer = Replayer(routes, backing)
    results = [replayer.replay(event, name) for name, event in events]
    if args.json:
        print(json.dumps([event_json(r) for r in results], indent=2, default=str))
    else:
        print("\n\n".join(event_summary(r) for r in results))
    return 1 if any(i.failed_records for r in results for i in r.invocations) else 0


def _evaluate(args: argparse.Namespace) -> int:
    from provenance_guard_cli.evaluate import EvaluateOptions, as_json, evaluate, failing_at_or_above
    from provenance_guard_cli.output import findings_table

    options = EvaluateOptions(args.policy, args.region, args.resource, args.do_import, args.table)
    results = evaluate(options, progress=sys.stderr.isatty() and not args.json)  # errors: see main()
    findings = [e.finding for e in results]
    print(json.dumps(as_json(results), indent=2, default=str) if args.json else findings_table(findings))
    if args.fail_on:
        failing = failing_at_or_above(results, Severity(args.fail_on))
        if failing:
            print(f"{len(failing)} findings at or above {args.fail_on} failed", file=sys.stderr)
            return 1
    return 0


def _emulator(args: argparse.Namespace) -> int:
    from provenance_guard_cli.emulator.server import serve_forever

    serve_forever(args.port, Path(args.request_log) if args.request_log else None)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from provenance_guard_cli.demo import run_demo

    return run_demo(Path(args.policy), template=Path(args.template) if args.template else None)


def _port(text: str) -> int:
    port = int(text) if text.isdigit() else 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="provenance-guard",
        description="SEC06-BP02 compliance for AWS: hardened images, trusted registries, verified signatures.",
    )
    verbs = parser.add_subparsers(required=True, metavar="VERB", dest="verb")

    controls = verbs.add_parser("controls", help="list the control registry")
    controls.add_argument("--json", action="store_true")
    controls.set_defaults(run=_controls)

    policy = verbs.add_parser("policy", help="work with policy files").add_subparsers(required=True, metavar="ACTION")
    validate = policy.add_parser("validate", help="validate a policy file; exit 1 naming the field on error")
    validate.add_argument("file")
    validate.set_defaults(run=_policy_validate)

    evaluate = verbs.add_parser("evaluate", help="run the controls against the live account (read-only)")
    evaluate.add_argument("--policy", default=str(DEFAULT_POLICY))
    evaluate.add_argument("--region", help="default: the region of your AWS configuration")
    evaluate.add_argument("--resource", nargs="+", default=[], metavar="ARN", help="only these resources")
    evaluate.add_argument("--import", dest="do_import", action="store_true", help="import findings to Security Hub")
    evaluate.add_argument("--table", help="the deployed findings table, to diff and keep CreatedAt with --import")
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        metavar="SEVERITY",
        help="exit 1 when a finding at or above SEVERITY fails (a delivery-pipeline gate)",
    )
    evaluate.set_defaults(run=_evaluate)

    replay = verbs.add_parser("replay", help="route events through the stack's rules to the handlers, in-process")
    replay.add_argument("--policy", default=str(DEFAULT_POLICY))
    replay.add_argument("--endpoint-url", default="http://127.0.0.1:5000", help="the emulator (or any AWS endpoint)")
    replay.add_argument("--region", default="us-east-1")
    replay.add_argument(
        "--registry-url",
        default=os.environ.get(ENV_REGISTRY_URL),
        help="the registry for manifests and blobs (default $PROVENANCE_GUARD_REGISTRY_URL, else ECR's own)",
    )
    replay.add_argument("--template", help="a synthesized template (default: synthesize the project's app)")
    replay.add_argument("--json", action="store_true")
    replay.add_argument("events", nargs="+", metavar="EVENT.json")
    replay.set_defaults(run=_replay)

    emulator = verbs.add_parser("emulator", help="run the local AWS emulator on loopback until stopped")
    emulator.add_argument("--port", type=_port, default=5000)
    emulator.add_argument(
        "--request-log",
        metavar="FILE",
        help="append the request log (a line per request) to FILE; default: stderr, never holding up a request",
    )
    emulator.set_defaults(run=_emulator)

    demo = verbs.add_parser("demo", help="emulator + sample account + replayed events; prints findings")
    demo.add_argument("--policy", default=str(DEFAULT_POLICY))
    demo.add_argument("--template", help="a synthesized template (default: synthesize the project's app)")
    demo.set_defaults(run=_demo)
    return parser


if __name__ == "__main__":
    sys.exit(main())
