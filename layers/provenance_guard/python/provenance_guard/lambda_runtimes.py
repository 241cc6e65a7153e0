"""The Lambda runtime table shipped with the package (data/lambda_runtimes.json): each managed runtime's
deprecation and "block function create / update" dates, copied from the AWS Lambda Developer Guide page
"Lambda runtimes" (the file records the page and the day it was read)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

TABLE = Path(__file__).parent / "data" / "lambda_runtimes.json"


@dataclass(frozen=True)
class RuntimeSupport:
    identifier: str
    name: str
    deprecation: date | None
    block_create: date | None
    block_update: date | None


@dataclass(frozen=True)
class RuntimeTable:
    source_page: str
    read_on: date
    runtimes: dict[str, RuntimeSupport]

    def get(self, identifier: str) -> RuntimeSupport | None:
        return self.runtimes.get(identifier)


@cache
def runtime_table(path: Path = TABLE) -> RuntimeTable:
    document = json.loads(path.read_text())
    return RuntimeTable(
        source_page=document["source"]["page"],
        read_on=date.fromisoformat(document["source"]["read_on"]),
        runtimes={
            identifier: RuntimeSupport(
                identifier=identifier,
                name=row["name"],
                deprecation=_date(row.get("deprecation")),
                block_create=_date(row.get("block_create")),
                block_update=_date(row.get("block_update")),
            )
            for identifier, row in document["runtimes"].items()
        },
    )


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
