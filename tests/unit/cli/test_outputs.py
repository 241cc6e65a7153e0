"""evaluate's outputs, each parsed back: the JSON against its published schema, the CSV as rows, the OCSF
events against what the Compliance Finding class requires (tests/fixtures/ocsf, from the OCSF schema), the
HTML with an HTML parser; and the terminal table at 80 and 200 columns, the reason never cut."""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import replace
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.lambda_function import LAMBDA_FUNCTION
from provenance_guard.controls import registry
from provenance_guard.findings import ExemptionApplied, Finding, build_finding
from provenance_guard.model import Reason, ResourceRef, Severity, Verdict
from provenance_guard_cli.output.document import JsonWriter, schema
from provenance_guard_cli.output.html_report import HtmlWriter
from provenance_guard_cli.output.ocsf import OcsfWriter
from provenance_guard_cli.output.tabular import COLUMNS, CsvWriter
from provenance_guard_cli.output.terminal import console, findings_table, progress_bar
from provenance_guard_cli.report import Gate, Tally, row
from tests.unit.support import ACCOUNT, REGION, T0, ami_ref

PROJECT = Path(__file__).resolve().parents[3]
OCSF = json.loads((PROJECT / "tests" / "fixtures" / "ocsf" / "compliance_finding-1.8.0.json").read_text())
LONG_REASON = (
    "allowed publisher arn:aws:signer:us-east-1:444455556666:/signing-profiles/ThirdPartyPublisher/abcdef0123 is not "
    "in lambda.trusted_signing_profiles, and the layer arn:aws:lambda:us-east-1:999988887777:layer:telemetry:42 "
    "(LIVE, $LATEST) comes from account 999988887777, not a trusted layer account; the end"
)
DIGEST = "sha256:" + "ab" * 32


def findings() -> list[Finding]:
    public = Verdict.failed("PG.AMI.3", (Reason("PUBLIC", "the AMI is public"),), {"Public": "true"}, Severity.CRITICAL)
    passed = Verdict.passed("PG.AMI.1", "owner 123456789012 is a trusted account", {"OwnerId": ACCOUNT})
    unknown = Verdict.not_available("PG.ECR.3", "UNREADABLE", "the registry cannot be reached", {})
    untrusted = Verdict.failed("PG.LAMBDA.2", (Reason("UNTRUSTED_PUBLISHER", LONG_REASON),), {"X": "<script>"})
    stale = Verdict.failed("PG.AMI.5", (Reason("TOO_OLD", "created 2024-01-01, more than 90 days ago"),), {})
    image = ResourceRef(ECR_IMAGE, f"payments/worker@{DIGEST}", ACCOUNT, REGION)
    function = ResourceRef(LAMBDA_FUNCTION, "billing-api", ACCOUNT, REGION)
    exemption = ExemptionApplied("legacy fleet, SEC-123", date(2030, 6, 30))
    built = [
        (public, ami_ref("ami-0aaaaaaaaaaaaaaaa"), None),
        (passed, ami_ref("ami-0bbbbbbbbbbbbbbbb"), None),
        (unknown, image, None),
        (untrusted, function, None),
        (stale, ami_ref("ami-0ccccccccccccccccc"), exemption),
    ]
    result = [build_finding(registry.get(v.control_id), v, ref, observed_at=T0, exemption=e) for v, ref, e in built]
    result[1] = replace(result[1], updated_at=T0 + timedelta(days=1))  # seen before: an update
    return result


def tally() -> Tally:
    run = Tally(ACCOUNT, (REGION,), "policy.yaml", T0, finished_at=T0 + timedelta(minutes=1))
    run.add(findings(), Gate(Severity.HIGH))
    return run


def render(writer_class: type, **kwargs: Any) -> str:
    out = io.StringIO()
    run = tally()
    writer = writer_class(out, run, **kwargs)
    writer.add(findings()[:2])
    writer.add(findings()[2:])
    writer.close(run)
    return out.getvalue()


# --- JSON ---------------------------------------------------------------------------------------------


def test_json_is_valid_against_its_published_schema() -> None:
    document = json.loads(render(JsonWriter))
    jsonschema.validate(document, schema(), format_checker=jsonschema.FormatChecker())
    assert document["schema_version"] == "1.0.0"
    assert [f["control_id"] for f in document["findings"]] == [
        "PG.AMI.3",
        "PG.AMI.1",
        "PG.ECR.3",
        "PG.LAMBDA.2",
        "PG.AMI.5",
    ]
    summary = document["summary"]
    assert summary["by_status"] == {"PASSED": 1, "FAILED": 3, "NOT_AVAILABLE": 1}
    assert summary["by_severity"]["CRITICAL"] == 1
    assert summary["by_status_and_severity"]["FAILED"] == {
        "CRITICAL": 1,
        "HIGH": 1,
        "MEDIUM": 1,
        "LOW": 0,
        "INFORMATIONAL": 0,
    }
    assert summary["exempted"] == 1
    exempted = document["findings"][4]
    assert (exempted["severity"], exempted["reported_severity"], exempted["exempted"]) == (
        "MEDIUM",
        "INFORMATIONAL",
        True,
    )


def test_an_empty_run_is_a_valid_document() -> None:
    out = io.StringIO()
    run = Tally(ACCOUNT, (REGION,), "policy.yaml", T0)
    writer = JsonWriter(out, run)
    writer.close(run)
    document = json.loads(out.getvalue())
    jsonschema.validate(document, schema())
    assert document["findings"] == []


def test_the_schema_in_docs_is_the_one_the_package_ships() -> None:
    published = json.loads((PROJECT / "docs" / "schemas" / "evaluate-output.schema.json").read_text())
    assert published == schema()
    jsonschema.Draft202012Validator.check_schema(published)


# --- CSV ----------------------------------------------------------------------------------------------


def test_csv_has_one_row_per_finding() -> None:
    rows = list(csv.DictReader(io.StringIO(render(CsvWriter))))
    assert len(rows) == 5
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["control_id"] == "PG.AMI.3"
    assert rows[0]["reasons"] == "PUBLIC: the AMI is public"
    assert rows[3]["reasons"] == f"UNTRUSTED_PUBLISHER: {LONG_REASON}"
    assert rows[4]["exempted"] == "true"
    assert rows[4]["exemption_expires"] == "2030-06-30"
    assert "NIST.800-53.r5 AC-3" in rows[0]["related_requirements"].split("; ")


# --- OCSF ---------------------------------------------------------------------------------------------

BASE_TYPES = {"string_t": str, "integer_t": int, "long_t": int, "boolean_t": bool, "float_t": float}
PRIMITIVES = {name: BASE_TYPES[base] for name, base in OCSF["types"].items() if base in BASE_TYPES}


def ocsf_problems(value: dict[str, Any], attributes: dict[str, Any], constraints: dict[str, Any], at: str) -> list[str]:
    """Every way `value` breaks the class's or object's definition: a required attribute missing, an
    attribute the schema does not define, a wrong type, a value outside its enum, a constraint unmet."""
    problems = [
        f"{at}.{name}: required"
        for name, a in attributes.items()
        if a["requirement"] == "required" and name not in value
    ]
    for names in [constraints["at_least_one"]] if "at_least_one" in constraints else []:
        if not any(n in value for n in names):
            problems.append(f"{at}: needs at least one of {names}")
    for name, item in value.items():
        if name not in attributes:
            problems.append(f"{at}.{name}: not an attribute of this class or object")
            continue
        definition = attributes[name]
        items = item if definition["is_array"] else [item]
        if definition["is_array"] and not isinstance(item, list):
            problems.append(f"{at}.{name}: not an array")
            continue
        for one in items:
            problems += _type_problems(one, definition, f"{at}.{name}")
    return problems


def _type_problems(value: Any, definition: dict[str, Any], at: str) -> list[str]:
    kind = definition["type"]
    if kind in PRIMITIVES:
        if not isinstance(value, PRIMITIVES[kind]) or isinstance(value, bool) != (kind == "boolean_t"):
            return [f"{at}: {value!r} is not {kind}"]
        if "enum" in definition and value not in definition["enum"]:
            return [f"{at}: {value!r} is not one of {definition['enum']}"]
        return []
    if kind in ("json_t", "object"):
        return []
    if kind not in OCSF["objects"]:
        return [f"{at}: object type {kind} is not extracted in tests/fixtures/ocsf (add it to extract.py)"]
    if not isinstance(value, dict):
        return [f"{at}: not an object"]
    nested = OCSF["objects"][kind]
    return ocsf_problems(value, nested["attributes"], nested["constraints"], at)


def test_ocsf_events_have_what_the_compliance_finding_class_requires() -> None:
    events = json.loads(render(OcsfWriter, product_version="1.2.3"))
    assert len(events) == 5
    cls = OCSF["class"]
    for event in events:
        assert ocsf_problems(event, cls["attributes"], cls["constraints"], "event") == []
        assert event["class_uid"] == cls["class_uid"] == 2003
        assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
        assert event["metadata"]["version"] == OCSF["version"]


def test_ocsf_maps_status_severity_and_exemption() -> None:
    public, passed, unknown, untrusted, exempted = json.loads(render(OcsfWriter, product_version="1.2.3"))
    assert (public["compliance"]["status"], public["severity"], public["status"]) == ("Fail", "Critical", "New")
    assert (passed["compliance"]["status_id"], passed["activity_name"]) == (1, "Update")
    assert unknown["compliance"]["status"] == "Warning"
    assert untrusted["compliance"]["status_details"] == [LONG_REASON]
    assert (exempted["status"], exempted["severity"]) == ("Suppressed", "Medium")
    assert exempted["unmapped"]["exemption"] == {"reason": "legacy fleet, SEC-123", "expires": "2030-06-30"}
    assert "NIST SP 800-53 Rev. 5" in public["compliance"]["standards"]
    assert public["resources"][0]["uid"] == "arn:aws:ec2:us-east-1::image/ami-0aaaaaaaaaaaaaaaa"


def test_the_checker_catches_a_missing_required_attribute() -> None:
    [event, *_] = json.loads(render(OcsfWriter, product_version="1"))
    del event["finding_info"]["uid"]
    event["surprise"] = 1
    cls = OCSF["class"]
    assert ocsf_problems(event, cls["attributes"], cls["constraints"], "event") == [
        "event.finding_info.uid: required",
        "event.surprise: not an attribute of this class or object",
    ]


# --- HTML ---------------------------------------------------------------------------------------------


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.external: list[str] = []
        self.rows = 0
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.open.append(tag)
        values = dict(attrs)
        if tag in ("script", "img", "iframe") or (tag == "link" and values.get("rel") == "stylesheet"):
            self.external.append(f"{tag} {values}")
        if tag == "tr":
            self.rows += 1

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_one_self_contained_page_with_every_finding() -> None:
    text = render(HtmlWriter)
    page = Page()
    page.feed(text)
    page.close()
    assert text.startswith("<!DOCTYPE html>")
    assert page.external == []
    assert "style" in page.tags
    assert "@import" not in text
    assert "url(" not in text
    assert page.rows == 2 + 1 + 5  # the severity table's two rows, the header, five findings
    words = " ".join(" ".join(page.text).split())
    assert LONG_REASON in words
    assert "exempted until 2030-06-30: legacy fleet, SEC-123" in words
    assert "<script>" not in text  # evidence is escaped
    assert "&lt;script&gt;" in text


# --- terminal -----------------------------------------------------------------------------------------


def table_text(width: int) -> str:
    out = io.StringIO()
    console(out, width).print(findings_table([row(f) for f in findings()], width))
    return out.getvalue()


def reasons_column(text: str) -> list[str]:
    """The WHY column (the last) of each row, its wrapped lines joined: a row starts where the first
    column is not blank."""
    lines = text.splitlines()
    start = lines[0].index("RESOURCE / WHY") if "RESOURCE / WHY" in lines[0] else lines[0].index("WHY")
    cells: list[str] = []
    for line in lines[1:]:
        if line[:1].strip():
            cells.append("")
        cells[-1] += line[start:]
    return cells


@pytest.mark.parametrize("width", [80, 200])
def test_the_table_fits_the_width_and_never_cuts_the_reason(width: int) -> None:
    text = table_text(width)
    assert max(len(line) for line in text.splitlines()) <= width
    squeezed = ["".join(r.split()) for r in reasons_column(text)]
    assert any("".join(LONG_REASON.split()) in cell for cell in squeezed)  # folded across lines, never cut
    assert "…" not in text


def test_the_table_shows_exempted_findings_as_exempted_with_their_real_severity() -> None:
    text = table_text(200)
    [line] = [line for line in text.splitlines() if line.startswith("PG.AMI.5")]
    assert "MEDIUM" in line
    assert "FAILED" in line
    assert "(exempted)" in text
    assert "INFORMATIONAL" not in text
    first = text.splitlines()[1]
    assert first.startswith("PG.AMI.3")  # failures first, most severe first


def test_log_lines_are_printed_above_the_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    err = console(out, 100)
    with progress_bar(err, enabled=True) as progress:
        assert progress is not None
        progress.found(3)
        logging.getLogger("provenance_guard.collect").warning("registry unreachable: %s", "127.0.0.1:9")
        progress.inventory_done()
        progress.evaluated(3)
    text = out.getvalue()
    assert "registry unreachable: 127.0.0.1:9" in text
    assert logging.getLogger().handlers == [h for h in logging.getLogger().handlers if "Rich" not in type(h).__name__]
    assert capsys.readouterr().err == ""  # nothing went around the console
