"""`evaluate --output-format html`: one self-contained HTML file a person opens in a browser — the run,
a summary (counts per status and severity), and every finding with its reasons, what to do and its
evidence. No script, stylesheet, font or image is loaded from anywhere: the style is inline.

Findings are spooled to temporary files as they arrive, one per place in the page's order (failures
first, most severe first; exempted, then archived, last), so the summary can open the page and the rows
come out in order without the findings being held in memory.
"""

from __future__ import annotations

import shutil
import tempfile
from html import escape
from typing import IO

from provenance_guard.findings import Finding, format_time
from provenance_guard_cli.report import SEVERITIES, Tally, row, short_resource, statuses

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1d2330;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}.meta{color:#566;margin:0 0 1.5rem}
.cards{display:flex;flex-wrap:wrap;gap:.75rem;margin-bottom:1.5rem}
.card{border:1px solid #d8dde6;border-radius:8px;padding:.6rem 1rem;min-width:7rem}
.card b{display:block;font-size:1.6rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.45rem .6rem;
border-bottom:1px solid #e3e7ee}th{background:#f4f6f9;position:sticky;top:0}
td.resource{word-break:break-all;max-width:22rem}.why{max-width:40rem}
.badge{display:inline-block;border-radius:4px;padding:0 .4rem;font-weight:600;font-size:.8rem;white-space:nowrap}
.FAILED{background:#fde2e1;color:#a4161a}.PASSED{background:#dff3e4;color:#1b6b34}
.NOT_AVAILABLE{background:#fff1cc;color:#7a5600}.exempted,.archived{background:#eceff3;color:#4b5563}
.CRITICAL{color:#a4161a;font-weight:700}.HIGH{color:#c2410c;font-weight:600}.MEDIUM{color:#92400e}
.LOW,.INFORMATIONAL{color:#4b5563}details{margin-top:.3rem}summary{cursor:pointer;color:#334}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.3rem 0}dt{color:#566}
dd{margin:0;word-break:break-word}ul{margin:.2rem 0;padding-left:1.1rem}
"""


def finding_row_html(finding: Finding) -> str:
    shown = row(finding)
    badge = f'<span class="badge {finding.status.value}">{escape(finding.status.value)}</span>'
    if shown.exempted:
        badge += ' <span class="badge exempted">exempted</span>'
    if not shown.active:
        badge += ' <span class="badge archived">archived</span>'
    reasons = "".join(f"<li>{escape(r.description)}</li>" for r in finding.reasons)
    if finding.exemption:
        exemption = finding.exemption
        reasons += f"<li>exempted until {exemption.expires.isoformat()}: {escape(exemption.reason)}</li>"
    evidence = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in finding.evidence.items())
    requirements = ", ".join(escape(r) for r in finding.related_requirements)
    url = escape(finding.remediation_url, quote=True)
    return (
        f'<tr><td><b>{escape(finding.control_id)}</b><br><span class="title">{escape(finding.title)}</span></td>'
        f"<td>{badge}</td>"
        f'<td class="{finding.severity.value}">{finding.severity.value}</td>'
        f'<td class="resource" title="{escape(finding.resource.arn, quote=True)}">'
        f"{escape(short_resource(finding.resource.arn))}<br><small>{escape(finding.resource.arn)}</small></td>"
        f'<td class="why"><ul>{reasons}</ul>'
        f"<details><summary>What to do</summary><p>{escape(finding.remediation_text)}</p>"
        f'<p><a href="{url}">{url}</a></p></details>'
        f"<details><summary>Evidence and requirements</summary><dl>{evidence}</dl>"
        f"<p>{requirements}</p><p><small>{escape(finding.id)} · updated {format_time(finding.updated_at)}"
        "</small></p></details></td></tr>\n"
    )


class HtmlWriter:
    def __init__(self, out: IO[str], tally: Tally) -> None:
        self._out = out
        self._buckets: dict[tuple[bool, int, int], IO[str]] = {}
        self._count = 0

    def add(self, findings: list[Finding]) -> None:
        for finding in findings:
            active, status, severity, *_ = row(finding).sort_key()
            key = (active, status, severity)
            if key not in self._buckets:
                # each closed (and deleted) by close(), once its rows are copied into the page
                self._buckets[key] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
            self._buckets[key].write(finding_row_html(finding))
            self._count += 1

    def close(self, tally: Tally) -> None:
        out = self._out
        out.write(_head(tally))
        out.write(_summary(tally))
        out.write(
            "<table><thead><tr><th>Control</th><th>Status</th><th>Severity</th><th>Resource</th>"
            "<th>Why, and what to do</th></tr></thead><tbody>\n"
        )
        for _, rows in sorted(self._buckets.items()):
            rows.seek(0)
            shutil.copyfileobj(rows, out)
            rows.close()
        if not self._count:
            out.write('<tr><td colspan="5">No findings.</td></tr>\n')
        out.write("</tbody></table>\n</body>\n</html>\n")


def _head(tally: Tally) -> str:
    regions = ", ".join(tally.regions)
    finished = format_time(tally.finished_at) if tally.finished_at else "-"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>provenance-guard: account {escape(tally.account)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>provenance-guard findings for account {escape(tally.account)}</h1>\n"
        f'<p class="meta">Regions {escape(regions)} · policy {escape(tally.policy)} · '
        f"started {format_time(tally.started_at)} · finished {finished}</p>\n"
    )


def _summary(tally: Tally) -> str:
    cards = [f'<div class="card"><b>{tally.total}</b>results on {len(tally.resources)} resources</div>']
    cards += [
        f'<div class="card"><b>{tally.by_status.get(status, 0)}</b><span class="badge {status}">{status}</span></div>'
        for status in statuses()
    ]
    cards.append(f'<div class="card"><b>{tally.exempted}</b>exempted</div>')
    failed = [
        f'<td class="{s.value}">{tally.by_status_and_severity.get(("FAILED", s.value), 0)}</td>' for s in SEVERITIES
    ]
    heading = "".join(f"<th>{s.value}</th>" for s in SEVERITIES)
    missing = "".join(f"<li>{escape(arn)}: no such resource</li>" for arn in tally.missing_resources)
    return (
        f'<div class="cards">{"".join(cards)}</div>\n'
        f'<table style="width:auto;margin-bottom:1.5rem"><thead><tr><th>FAILED by severity</th>{heading}</tr>'
        f"</thead><tbody><tr><td></td>{''.join(failed)}</tr></tbody></table>\n"
        + (f"<ul>{missing}</ul>\n" if missing else "")
    )
