"""`provenance-guard`: the command line (CONTROLS.md §5)."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from provenance_guard.model import Severity
from provenance_guard.settings import ENV_REGISTRY_URL
from provenance_guard_cli.output.formats import FORMAT_NAMES
from provenance_guard_cli.routes import PROJECT_ROOT
from provenance_guard_cli.sample_account import DEMO_POLICY

DEFAULT_POLICY = PROJECT_ROOT / "policy.yaml" if (PROJECT_ROOT / "policy.yaml").is_file() else Path("policy.yaml")
"""The checkout's policy when run from it; installed on its own, `policy.yaml` in the current directory."""


CANNOT_RUN = 2
"""Exit code when a verb could not do its job (bad file, unreachable endpoint, refused AWS call, bad
arguments); 1 is for what a verb reports: an invalid policy, failed records, a tripped `--fail-on` gate, a
`--resource` that does not exist. 0: done, nothing to report (docs/commands.md)."""


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
    from provenance_guard_cli.output.terminal import console, plain_table, show

    if args.framework:
        return _framework(args)
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
                        "remediation": {
                            "text": c.remediation_text,
                            "url": c.remediation_url,
                            "by_reason": dict(c.remediation_by_reason),
                        },
                        "related_requirements": list(c.related_requirements),
                    }
                    for c in registry
                ],
                indent=2,
            )
        )
        return 0
    rows = [[c.id, c.severity.value, c.resource_kind.value, c.title, ", ".join(c.permissions)] for c in registry]
    headers = ["ID", "SEVERITY", "RESOURCE", "TITLE", "PERMISSIONS"]
    show(console(), plain_table(headers, rows, wrap=("TITLE", "PERMISSIONS")))
    return 0


def _framework(args: argparse.Namespace) -> int:
    """`controls --framework NAME`: each requirement of the framework and the controls mapped to it."""
    from provenance_guard.controls import registry
    from provenance_guard.controls.frameworks import framework_named
    from provenance_guard_cli.output.terminal import console, plain_table, show

    framework = framework_named(args.framework)
    mapping: dict[str, list[str]] = {}
    for control in registry:
        for related in control.related_requirements:
            requirement = framework.requirement_id(related)
            if requirement is not None:
                mapping.setdefault(requirement, []).append(control.id)
    ordered = sorted(mapping.items(), key=lambda item: _requirement_order(item[0]))
    if args.json:
        print(
            json.dumps(
                {
                    "framework": framework.name,
                    "title": framework.title,
                    "requirements": [
                        {"id": r, "title": framework.requirements.get(r, ""), "controls": ids} for r, ids in ordered
                    ],
                },
                indent=2,
            )
        )
        return 0
    rows = [[r, framework.requirements.get(r, ""), ", ".join(ids)] for r, ids in ordered]
    screen = console()
    screen.print(f"{framework.title}: {len(rows)} requirements mapped", highlight=False)
    show(screen, plain_table(["REQUIREMENT", "TITLE", "CONTROLS"], rows, wrap=("TITLE", "CONTROLS")))
    return 0


def _requirement_order(requirement: str) -> tuple[object, ...]:
    """CM-2 < CM-7 < CM-7(5) < CM-14; 2.5 < 16.5."""
    import re

    return tuple(int(part) if part.isdigit() else part for part in re.split(r"[-.()]+", requirement) if part)


def _policy_validate(args: argparse.Namespace) -> int:
    from provenance_guard.controls import full_context
    from provenance_guard.policy_source import check_policy_file

    _, problems = check_policy_file(args.file, full_context())  # an unreadable file: OSError, CANNOT_RUN (see main)
    for error in problems.errors:
        print(f"{args.file}: error: {error}", file=sys.stderr)
    for warning in problems.warnings:
        print(f"{args.file}: warning: {warning}", file=sys.stderr)
    summary = _count(len(problems.errors), "error") + ", " + _count(len(problems.warnings), "warning")
    if problems.errors:
        print(f"{args.file}: invalid ({summary})", file=sys.stderr)
        return 1
    print(f"{args.file}: valid" + (f" ({_count(len(problems.warnings), 'warning')})" if problems.warnings else ""))
    return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _policy_schema(args: argparse.Namespace) -> int:
    from provenance_guard.controls import full_context
    from provenance_guard.policy_schema import policy_schema

    text = json.dumps(policy_schema(full_context()), indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def _policy_init(args: argparse.Namespace) -> int:
    from provenance_guard_cli.policy_init import init_policy

    return init_policy(args.output, force=args.force, region=args.region, profile=args.profile)


def _replay(args: argparse.Namespace) -> int:
    from provenance_guard_cli.backing import ensure_backing, use_emulator_credentials
    from provenance_guard_cli.output.events import event_json, event_summary
    from provenance_guard_cli.replay import Replayer
    from provenance_guard_cli.routes import load_template, routes_from_template

    events = []
    for name in args.events:
        try:
            events.append((name, json.loads(Path(name).read_text())))
        except (OSError, json.JSONDecodeError) as error:
            print(f"{name}: cannot be read as JSON: {error}", file=sys.stderr)
            return 2
    routes = routes_from_template(load_template(Path(args.template) if args.template else None, Path(args.policy)))
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
    from datetime import UTC, datetime

    from provenance_guard_cli.evaluate import EvaluateOptions, Evaluation
    from provenance_guard_cli.output.terminal import console, progress_bar
    from provenance_guard_cli.output.writers import open_outputs
    from provenance_guard_cli.report import Gate, Imported, Tally, gate_message, product_version

    formats = args.output_format or (["json"] if args.json else ["table"])
    options = EvaluateOptions(
        policy=args.policy,
        regions=args.regions or (),
        resources=args.resource,
        controls=args.controls or (),
        do_import=args.do_import,
        table=args.table,
        profile=args.profile,
        role_arn=args.role_arn,
        registry_url=args.registry_url,
    )
    gate = Gate(args.fail_on, args.allow_unknown) if args.fail_on else None
    err = console(sys.stderr)
    evaluation = Evaluation(options)  # errors: see main()
    target = evaluation.target
    tally = Tally(target.account, target.regions, args.policy, datetime.now(UTC))
    tally.imported = Imported() if args.do_import else None
    output_dir = Path(args.output_dir) if args.output_dir else None
    with open_outputs(formats, output_dir, sys.stdout, tally, product_version()) as outputs:
        with progress_bar(err, enabled=err.is_terminal) as progress:
            for outcome in evaluation.pages(progress):
                tally.add(outcome.findings, gate)
                tally.missing_resources += [ref.arn for ref in outcome.missing]
                if tally.imported is not None:
                    tally.imported.imported += outcome.imported
                    tally.imported.unchanged += outcome.unchanged
                    tally.imported.archived += outcome.archived
                outputs.add(outcome.findings)
        tally.finished_at = datetime.now(UTC)
        outputs.close(tally)
    if tally.imported is not None:
        done = tally.imported
        print(
            f"Security Hub: {done.imported} findings imported, {done.unchanged} unchanged, {done.archived} archived",
            file=sys.stderr,
        )
    for path in outputs.paths:
        print(f"wrote {path}", file=sys.stderr)
    problems = gate_message(tally, gate)
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


def _remediate(args: argparse.Namespace) -> int:
    from provenance_guard_cli.remediate import SUCCESS, RemediateOptions, describe, remediate

    options = RemediateOptions(
        args.policy, args.region, args.finding, args.control, args.resource, args.apply, args.table, args.registry_url
    )
    result = remediate(options)  # errors: see main()
    print(describe(result, args.apply))
    return 0 if result.outcome in SUCCESS else 1


def _emulator(args: argparse.Namespace) -> int:
    from provenance_guard_cli.emulator.server import serve_forever

    serve_forever(args.port, Path(args.request_log) if args.request_log else None)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from provenance_guard_cli.demo import run_demo

    return run_demo(Path(args.policy), template=Path(args.template) if args.template else None)


def _severity(text: str) -> Severity:
    try:
        return Severity(text.strip().upper())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a severity ({', '.join(s.value for s in Severity)})"
        ) from None


def _port(text: str) -> int:
    port = int(text) if text.isdigit() else 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="provenance-guard",
        fromfile_prefix_chars="@",
        description="SEC06-BP02 compliance for AWS: hardened images, trusted registries, verified signatures.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {importlib.metadata.version('provenance-guard')}"
    )
    verbs = parser.add_subparsers(required=True, metavar="VERB", dest="verb")

    controls = verbs.add_parser("controls", help="list the control registry, or a framework's mapping")
    controls.add_argument("--json", action="store_true")
    controls.add_argument(
        "--framework",
        metavar="NAME",
        help="list the requirements of NAME (nist-800-53, cis-v8, well-architected, "
        "security-hub) and the controls mapped to each",
    )
    controls.set_defaults(run=_controls)

    policy = verbs.add_parser("policy", help="work with policy files").add_subparsers(required=True, metavar="ACTION")
    validate = policy.add_parser(
        "validate",
        help="check a policy file: every error and warning with its field; exit 1 on errors, 2 if unreadable",
    )
    validate.add_argument("file")
    validate.set_defaults(run=_policy_validate)
    schema = policy.add_parser("schema", help="print the policy's JSON Schema (draft 2020-12), for editors")
    schema.add_argument("--output", metavar="FILE", help="write it to FILE instead")
    schema.set_defaults(run=_policy_schema)
    init = policy.add_parser(
        "init", help="write a starting policy for the account of your credentials, from what it uses (read-only)"
    )
    init.add_argument("--output", metavar="FILE", help="write it to FILE (default: print it)")
    init.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    init.add_argument("--region", help="default: the region of your AWS configuration")
    init.add_argument("--profile", help="an AWS profile of your configuration")
    init.set_defaults(run=_policy_init)

    evaluate = verbs.add_parser(
        "evaluate",
        help="run the controls against the live account (read-only unless --import)",
        description="Run the controls against the account of your AWS credentials, with the local policy file. "
        "Exit 0: nothing tripped; 1: --fail-on tripped or a --resource does not exist; 2: cannot run. "
        "Arguments can be read from a file: evaluate --resource @arns.txt",
    )
    evaluate.add_argument("--policy", default=str(DEFAULT_POLICY), help="the policy file (not the deployed parameter)")
    evaluate.add_argument(
        "--regions",
        "--region",
        dest="regions",
        nargs="+",
        action="extend",
        metavar="REGION",
        help="Regions to evaluate (default: the Region of your AWS configuration)",
    )
    evaluate.add_argument("--profile", help="the AWS profile to use (default: the default credential chain)")
    evaluate.add_argument("--role-arn", help="assume this role (from --profile's credentials) to read the account")
    evaluate.add_argument(
        "--resource", nargs="+", action="extend", default=[], metavar="ARN", help="only these resources"
    )
    evaluate.add_argument("--controls", nargs="+", action="extend", metavar="ID", help="only these controls")
    evaluate.add_argument(
        "--registry-url",
        default=os.environ.get(ENV_REGISTRY_URL) or None,
        help="the registry for manifests and blobs (default $PROVENANCE_GUARD_REGISTRY_URL, else ECR's own)",
    )
    evaluate.add_argument("--import", dest="do_import", action="store_true", help="import findings to Security Hub")
    evaluate.add_argument("--table", help="the deployed findings table, to diff and keep CreatedAt with --import")
    evaluate.add_argument(
        "--output-format",
        nargs="+",
        action="extend",
        choices=FORMAT_NAMES,
        metavar="FORMAT",
        help=f"{' | '.join(FORMAT_NAMES)} (default table; several need --output-dir)",
    )
    evaluate.add_argument("--output-dir", metavar="DIR", help="write each format to its own file in DIR")
    evaluate.add_argument("--json", action="store_true", help="the same as --output-format json")
    evaluate.add_argument(
        "--fail-on",
        type=_severity,
        metavar="SEVERITY",
        help="exit 1 when a result at or above SEVERITY fails or cannot be judged (a delivery-pipeline gate)",
    )
    evaluate.add_argument(
        "--allow-unknown", action="store_true", help="with --fail-on: NOT_AVAILABLE results do not trip the gate"
    )
    evaluate.set_defaults(run=_evaluate)

    remediate = verbs.add_parser(
        "remediate", help="fix one finding: a dry run printing the exact change, unless --apply (CONTROLS.md §6.4)"
    )
    target = remediate.add_mutually_exclusive_group(required=True)
    target.add_argument("--finding", metavar="ID", help="a provenance-guard finding id, read from Security Hub")
    target.add_argument("--control", metavar="ID", help="a control id (with --resource)")
    remediate.add_argument("--resource", metavar="ARN", help="the resource's ARN (with --control)")
    remediate.add_argument("--apply", action="store_true", help="make the change (default: a dry run)")
    remediate.add_argument("--policy", default=str(DEFAULT_POLICY))
    remediate.add_argument("--region", help="default: the region of your AWS configuration")
    remediate.add_argument("--table", help="the deployed findings table, to keep CreatedAt with --apply")
    remediate.add_argument(
        "--registry-url",
        default=os.environ.get(ENV_REGISTRY_URL),
        help="the registry for manifests and blobs (default $PROVENANCE_GUARD_REGISTRY_URL, else ECR's own)",
    )
    remediate.set_defaults(run=_remediate)

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
    demo.add_argument("--policy", default=str(DEMO_POLICY), help="default: the sample account's demo_policy.yaml")
    demo.add_argument("--template", help="a synthesized template (default: synthesize the project's app)")
    demo.set_defaults(run=_demo)
    return parser


if __name__ == "__main__":
    sys.exit(main())
