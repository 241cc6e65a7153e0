from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import ListShape, StructureShape

from provenance_guard_cli.emulator import securityhub_asff, securityhub_filters
from tests.unit.emulator.model_shapes import enum, input_members, shape_members

ACCOUNT = "123456789012"
REGION = "us-east-1"
PRODUCT_ARN = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"
MakeFinding = Callable[..., dict[str, Any]]


def import_ok(securityhub: Any, *findings: dict[str, Any]) -> None:
    response = securityhub.batch_import_findings(Findings=list(findings))
    assert response["FailedCount"] == 0, response["FailedFindings"]
    assert response["SuccessCount"] == len(findings)


def get_one(securityhub: Any, finding_id: str = "pg-finding-1") -> dict[str, Any]:
    findings = securityhub.get_findings(Filters={"Id": [{"Value": finding_id, "Comparison": "EQUALS"}]})["Findings"]
    assert len(findings) == 1
    finding: dict[str, Any] = findings[0]
    return finding


def test_new_finding_gets_security_hub_defaults(securityhub: Any, make_finding: MakeFinding) -> None:
    finding = make_finding()
    del finding["RecordState"]
    del finding["FindingProviderFields"]

    import_ok(securityhub, finding)

    stored = get_one(securityhub)
    assert stored["Workflow"] == {"Status": "NEW"}
    assert stored["RecordState"] == "ACTIVE"
    assert stored["Severity"] == {"Label": "MEDIUM", "Normalized": 40}
    assert stored["FindingProviderFields"] == {"Severity": {"Label": "MEDIUM"}, "Types": finding["Types"]}
    assert (stored["ProductName"], stored["CompanyName"], stored["Region"]) == ("Default", "Personal", REGION)
    assert stored["ProductFields"]["aws/securityhub/FindingId"] == f"{PRODUCT_ARN}/pg-finding-1"
    assert stored["Title"] == finding["Title"]
    assert "ProcessedAt" in stored


def test_provider_fields_win_over_top_level_on_a_new_finding(securityhub: Any, make_finding: MakeFinding) -> None:
    import_ok(
        securityhub,
        make_finding(
            Severity={"Label": "LOW"}, FindingProviderFields={"Severity": {"Label": "HIGH"}, "Types": ["a/b"]}
        ),
    )

    stored = get_one(securityhub)
    assert stored["Severity"] == {"Label": "HIGH", "Normalized": 70}
    assert stored["Types"] == ["a/b"]


@pytest.fixture
def unvalidated(securityhub: Any, boto_session: Any) -> Any:
    """A client that skips botocore's own parameter validation, so the emulator's checks are reached."""
    return boto_session.client("securityhub", config=Config(parameter_validation=False))


@pytest.mark.parametrize("field", list(securityhub_asff.REQUIRED_FIELDS))
def test_required_fields_are_enforced(unvalidated: Any, make_finding: MakeFinding, field: str) -> None:
    finding = make_finding()
    del finding[field]

    response = unvalidated.batch_import_findings(Findings=[finding, make_finding("pg-finding-2")])

    assert (response["FailedCount"], response["SuccessCount"]) == (1, 1)
    assert response["FailedFindings"][0]["ErrorCode"] == "InvalidInput"
    assert field in response["FailedFindings"][0]["ErrorMessage"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"Resources": [{"Type": "Other"}]},
        {"Resources": [{"Id": "arn:aws:ec2:us-east-1::image/ami-1"}]},
        {"Severity": {}, "FindingProviderFields": {"Types": ["a/b"]}},
        {"Types": [], "FindingProviderFields": {"Severity": {"Label": "LOW"}}},
        {"SchemaVersion": "2019-01-01"},
        {"UpdatedAt": "yesterday"},
        {"Compliance": {"Status": "BROKEN"}},
        {"RecordState": "DELETED"},
        {"Title": "x" * 257},
    ],
)
def test_invalid_findings_fail_with_invalid_input(
    unvalidated: Any, make_finding: MakeFinding, overrides: dict[str, Any]
) -> None:
    response = unvalidated.batch_import_findings(Findings=[make_finding(**overrides)])

    assert response["FailedCount"] == 1
    assert response["FailedFindings"][0]["ErrorCode"] == "InvalidInput"


def test_findings_over_240_kb_are_rejected(securityhub: Any, make_finding: MakeFinding) -> None:
    big = make_finding(ProductFields={f"evidence/{i}": "x" * 2000 for i in range(50)}, Description="y" * 1000)
    big["Resources"][0]["Details"] = {"Other": {f"k{i}": "z" * 1000 for i in range(50)}}
    big["Resources"] = big["Resources"] * 4

    response = securityhub.batch_import_findings(Findings=[big])

    assert response["FailedFindings"][0] == {
        "Id": "pg-finding-1",
        "ErrorCode": "InvalidInput",
        "ErrorMessage": "Finding size exceeded 240 KB",
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"ProductArn": f"arn:aws:securityhub:{REGION}:210987654321:product/210987654321/default"},
        {"ProductArn": f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:product/{ACCOUNT}/default"},
        {"ProductArn": f"arn:aws-cn:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"},
        {"ProductArn": f"arn:aws:securityhub:{REGION}::product/aws/guardduty"},
        {"AwsAccountId": "210987654321"},
    ],
)
def test_foreign_product_or_account_is_invalid_access(
    securityhub: Any, make_finding: MakeFinding, overrides: dict[str, Any]
) -> None:
    response = securityhub.batch_import_findings(Findings=[make_finding(**overrides)])

    assert response["FailedFindings"][0]["ErrorCode"] == "InvalidAccess"


def test_hub_not_enabled(aws: None, boto_session: Any, make_finding: MakeFinding) -> None:
    securityhub = boto_session.client("securityhub")

    response = securityhub.batch_import_findings(Findings=[make_finding()])

    assert response["FailedFindings"][0]["ErrorCode"] == "InvalidAccess"
    with pytest.raises(ClientError) as excinfo:
        securityhub.get_findings()
    assert excinfo.value.response["Error"]["Code"] == "InvalidAccessException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401


def test_more_than_100_findings_is_invalid_input(securityhub: Any, make_finding: MakeFinding) -> None:
    with pytest.raises(ClientError) as excinfo:
        securityhub.batch_import_findings(Findings=[make_finding(f"f-{i}") for i in range(101)])
    assert excinfo.value.response["Error"]["Code"] == "InvalidInputException"


@pytest.mark.parametrize("updated_at", ["2024-05-01T10:00:00.000Z", "2024-05-01T09:59:59Z"])
def test_stale_update_is_silently_ignored(securityhub: Any, make_finding: MakeFinding, updated_at: str) -> None:
    import_ok(securityhub, make_finding())

    import_ok(securityhub, make_finding(UpdatedAt=updated_at, Title="changed"))

    assert get_one(securityhub)["Title"] == "AMI does not require IMDSv2"


def test_update_replaces_finding_but_keeps_customer_fields(securityhub: Any, make_finding: MakeFinding) -> None:
    import_ok(securityhub, make_finding(ProductFields={"evidence/old": "1"}))
    securityhub.batch_update_findings(
        FindingIdentifiers=[{"Id": "pg-finding-1", "ProductArn": PRODUCT_ARN}],
        Note={"Text": "ticket SEC-1", "UpdatedBy": "analyst"},
        Workflow={"Status": "NOTIFIED"},
        UserDefinedFields={"ticket": "SEC-1"},
        VerificationState="TRUE_POSITIVE",
    )

    import_ok(
        securityhub,
        make_finding(
            UpdatedAt="2024-05-02T10:00:00.000Z",
            Title="still failing",
            ProductFields={"evidence/new": "2"},
            Workflow={"Status": "SUPPRESSED"},
            Note={"Text": "provider note", "UpdatedBy": "pg", "UpdatedAt": "2024-05-02T10:00:00Z"},
            UserDefinedFields={"ticket": "overwritten"},
            VerificationState="FALSE_POSITIVE",
        ),
    )

    stored = get_one(securityhub)
    assert stored["Title"] == "still failing"
    assert stored["UpdatedAt"] == "2024-05-02T10:00:00.000Z"
    assert "evidence/old" not in stored["ProductFields"]
    assert stored["ProductFields"]["evidence/new"] == "2"
    assert stored["Workflow"] == {"Status": "NOTIFIED"}
    assert stored["Note"]["Text"] == "ticket SEC-1"
    assert stored["UserDefinedFields"] == {"ticket": "SEC-1"}
    assert stored["VerificationState"] == "TRUE_POSITIVE"


@pytest.mark.parametrize(
    ("first", "second", "workflow", "expected"),
    [
        ({"RecordState": "ARCHIVED"}, {"RecordState": "ACTIVE"}, "RESOLVED", "NEW"),
        ({"RecordState": "ARCHIVED"}, {"RecordState": "ACTIVE"}, "NOTIFIED", "NEW"),
        ({"RecordState": "ARCHIVED"}, {"RecordState": "ACTIVE"}, "SUPPRESSED", "SUPPRESSED"),
        ({"Compliance": {"Status": "PASSED"}}, {"Compliance": {"Status": "FAILED"}}, "RESOLVED", "NEW"),
        (
            {"Compliance": {"Status": "PASSED"}},
            {"Compliance": {"Status": "NOT_AVAILABLE"}},
            "NOTIFIED",
            "NEW",
        ),
        ({"Compliance": {"Status": "FAILED"}}, {"Compliance": {"Status": "FAILED"}}, "RESOLVED", "RESOLVED"),
    ],
)
def test_workflow_reset_rules(
    securityhub: Any,
    make_finding: MakeFinding,
    first: dict[str, Any],
    second: dict[str, Any],
    workflow: str,
    expected: str,
) -> None:
    import_ok(securityhub, make_finding(**first))
    securityhub.batch_update_findings(
        FindingIdentifiers=[{"Id": "pg-finding-1", "ProductArn": PRODUCT_ARN}], Workflow={"Status": workflow}
    )

    import_ok(securityhub, make_finding(UpdatedAt="2024-05-03T00:00:00Z", **second))

    assert get_one(securityhub)["Workflow"]["Status"] == expected


def test_batch_update_findings(securityhub: Any, make_finding: MakeFinding) -> None:
    import_ok(securityhub, make_finding())
    identifier = {"Id": "pg-finding-1", "ProductArn": PRODUCT_ARN}
    missing = {"Id": "nope", "ProductArn": PRODUCT_ARN}

    response = securityhub.batch_update_findings(
        FindingIdentifiers=[identifier, missing, identifier], Severity={"Label": "LOW"}
    )

    assert response["ProcessedFindings"] == [identifier]
    assert [u["ErrorCode"] for u in response["UnprocessedFindings"]] == [
        "FindingNotFound",
        "DuplicatedFindingIdentifier",
    ]
    stored = get_one(securityhub)
    assert stored["Severity"] == {"Label": "LOW", "Normalized": 1}
    assert stored["UpdatedAt"] == "2024-05-01T10:00:00.000Z"

    import_ok(securityhub, make_finding(UpdatedAt="2024-05-04T00:00:00Z"))
    stored = get_one(securityhub)
    assert stored["Severity"]["Label"] == "LOW", "a customer's severity survives provider updates"
    assert stored["FindingProviderFields"]["Severity"] == {"Label": "MEDIUM"}


@pytest.fixture
def catalogue(securityhub: Any, make_finding: MakeFinding) -> Any:
    """ami-1 FAILED/HIGH, ami-2 PASSED/MEDIUM/RESOLVED, ecr-1 FAILED/MEDIUM/ARCHIVED."""

    def control_finding(finding_id: str, control: str, status: str, label: str, kind: str, arn: str) -> Any:
        return make_finding(
            finding_id,
            GeneratorId=f"provenance-guard/{control}",
            FindingProviderFields={"Severity": {"Label": label}, "Types": ["a/b"]},
            Compliance={"Status": status, "SecurityControlId": control},
            Resources=[{"Type": kind, "Id": arn}],
        )

    archived = control_finding(
        "ecr-1", "PG.ECR.2", "FAILED", "MEDIUM", "AwsEcrRepository", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/app"
    )
    archived["RecordState"] = "ARCHIVED"
    import_ok(
        securityhub,
        control_finding("ami-1", "PG.AMI.1", "FAILED", "HIGH", "Other", f"arn:aws:ec2:{REGION}::image/ami-1"),
        control_finding("ami-2", "PG.AMI.6", "PASSED", "MEDIUM", "Other", f"arn:aws:ec2:{REGION}::image/ami-2"),
        archived,
    )
    securityhub.batch_update_findings(
        FindingIdentifiers=[{"Id": "ami-2", "ProductArn": PRODUCT_ARN}], Workflow={"Status": "RESOLVED"}
    )
    return securityhub


@pytest.mark.parametrize(
    ("name", "comparison", "value", "expected"),
    [
        ("Id", "EQUALS", "ami-1", {"ami-1"}),
        ("Id", "PREFIX", "ami-", {"ami-1", "ami-2"}),
        ("Id", "NOT_EQUALS", "ami-1", {"ami-2", "ecr-1"}),
        ("GeneratorId", "PREFIX", "provenance-guard/PG.AMI.", {"ami-1", "ami-2"}),
        ("RecordState", "EQUALS", "ACTIVE", {"ami-1", "ami-2"}),
        ("RecordState", "NOT_EQUALS", "ACTIVE", {"ecr-1"}),
        ("ComplianceStatus", "EQUALS", "FAILED", {"ami-1", "ecr-1"}),
        ("ComplianceSecurityControlId", "EQUALS", "PG.ECR.2", {"ecr-1"}),
        ("ComplianceSecurityControlId", "PREFIX", "PG.AMI", {"ami-1", "ami-2"}),
        ("ResourceId", "EQUALS", "arn:aws:ec2:us-east-1::image/ami-2", {"ami-2"}),
        ("ResourceId", "PREFIX", "arn:aws:ecr:", {"ecr-1"}),
        ("ResourceType", "EQUALS", "Other", {"ami-1", "ami-2"}),
        ("ResourceType", "NOT_EQUALS", "Other", {"ecr-1"}),
        ("AwsAccountId", "EQUALS", ACCOUNT, {"ami-1", "ami-2", "ecr-1"}),
        ("AwsAccountId", "NOT_EQUALS", ACCOUNT, set()),
        ("SeverityLabel", "EQUALS", "HIGH", {"ami-1"}),
        ("SeverityLabel", "PREFIX", "MED", {"ami-2", "ecr-1"}),
        ("WorkflowStatus", "EQUALS", "NEW", {"ami-1", "ecr-1"}),
        ("WorkflowStatus", "NOT_EQUALS", "NEW", {"ami-2"}),
    ],
)
def test_get_findings_string_filters(
    catalogue: Any, name: str, comparison: str, value: str, expected: set[str]
) -> None:
    response = catalogue.get_findings(Filters={name: [{"Value": value, "Comparison": comparison}]})

    assert {finding["Id"] for finding in response["Findings"]} == expected


def test_filters_combine_as_documented(catalogue: Any) -> None:
    filters = {
        "Id": [{"Value": "ami-", "Comparison": "PREFIX"}, {"Value": "ecr-1", "Comparison": "EQUALS"}],
        "ComplianceSecurityControlId": [
            {"Value": "PG.AMI.6", "Comparison": "NOT_EQUALS"},
            {"Value": "PG.ECR", "Comparison": "PREFIX_NOT_EQUALS"},
        ],
    }

    response = catalogue.get_findings(Filters=filters)

    assert [finding["Id"] for finding in response["Findings"]] == ["ami-1"]


@pytest.mark.parametrize(
    "filters",
    [
        {"Id": [{"Value": "a", "Comparison": "EQUALS"}, {"Value": "b", "Comparison": "NOT_EQUALS"}]},
        {"Title": [{"Value": "a", "Comparison": "CONTAINS"}, {"Value": "b", "Comparison": "PREFIX"}]},
        {"Title": [{"Value": "a", "Comparison": "CONTAINS_WORD"}]},
        {"NetworkSourceIpV4": [{"Cidr": "10.0.0.0/8"}]},
        {"Id": [{"Value": str(i), "Comparison": "EQUALS"} for i in range(21)]},
    ],
)
def test_invalid_or_unsupported_filters_are_rejected(catalogue: Any, filters: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        catalogue.get_findings(Filters=filters)
    assert excinfo.value.response["Error"]["Code"] == "InvalidInputException"


def test_get_findings_paginates(securityhub: Any, make_finding: MakeFinding) -> None:
    import_ok(securityhub, *[make_finding(f"f-{i:02d}") for i in range(25)])

    first = securityhub.get_findings(MaxResults=10)
    pages = list(securityhub.get_paginator("get_findings").paginate(PaginationConfig={"PageSize": 10}))

    assert len(first["Findings"]) == 10
    assert first["NextToken"]
    assert [len(page["Findings"]) for page in pages] == [10, 10, 5]
    assert [f["Id"] for page in pages for f in page["Findings"]] == [f"f-{i:02d}" for i in range(25)]
    with pytest.raises(ClientError):
        securityhub.get_findings(NextToken="not-a-token")


def test_get_findings_sorts_and_filters_dates_and_maps(catalogue: Any) -> None:
    by_id = catalogue.get_findings(SortCriteria=[{"Field": "Id", "SortOrder": "desc"}])
    dated = catalogue.get_findings(
        Filters={"UpdatedAt": [{"Start": "2024-05-01T00:00:00Z", "End": "2024-05-02T00:00:00Z"}]}
    )
    recent = catalogue.get_findings(Filters={"UpdatedAt": [{"DateRange": {"Value": 7, "Unit": "DAYS"}}]})
    mapped = catalogue.get_findings(
        Filters={"ProductFields": [{"Key": "aws/securityhub/FindingId", "Value": "ami-1", "Comparison": "CONTAINS"}]}
    )

    assert [f["Id"] for f in by_id["Findings"]] == ["ecr-1", "ami-2", "ami-1"]
    assert len(dated["Findings"]) == 3
    assert recent["Findings"] == []
    assert [f["Id"] for f in mapped["Findings"]] == ["ami-1"]


def test_patched_operations_match_the_botocore_model() -> None:
    model = botocore.session.get_session().get_service_model("securityhub")
    consumed = {
        "BatchImportFindings": {"Findings"},
        "GetFindings": {"Filters", "SortCriteria", "MaxResults", "NextToken"},
        "BatchUpdateFindings": {"FindingIdentifiers", "Note", "Severity", "VerificationState", "Confidence"}
        | {"Criticality", "Types", "UserDefinedFields", "Workflow", "RelatedFindings"},
    }
    for operation, members in consumed.items():
        assert members <= input_members(model, operation), operation
    assert model.operation_model("BatchUpdateFindings").http["requestUri"] == "/findings/batchupdate"
    finding_shape = model.shape_for("AwsSecurityFinding")
    assert isinstance(finding_shape, StructureShape)
    assert tuple(finding_shape.required_members) == securityhub_asff.REQUIRED_FIELDS
    finding = shape_members(model, "AwsSecurityFinding")
    assert {path.split(".")[0] for path in securityhub_asff.ENUMS} <= set(finding)
    filters = shape_members(model, "AwsSecurityFindingFilters")
    kinds = {
        "StringFilter": securityhub_filters.STRING_FILTERS,
        "MapFilter": securityhub_filters.MAP_FILTERS,
        "DateFilter": securityhub_filters.DATE_FILTERS,
        "NumberFilter": securityhub_filters.NUMBER_FILTERS,
        "BooleanFilter": securityhub_filters.BOOLEAN_FILTERS,
    }
    for kind, names in kinds.items():
        for name, path in names.items():
            filter_list = filters[name]
            assert isinstance(filter_list, ListShape)
            assert filter_list.member.name == kind, name
            assert path.split(".")[0].removesuffix("[]") in finding, path
    comparisons = set(enum(model, "StringFilterComparison"))
    assert {"EQUALS", "NOT_EQUALS", "PREFIX", "PREFIX_NOT_EQUALS", "CONTAINS", "NOT_CONTAINS"} <= comparisons
