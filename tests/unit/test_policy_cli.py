"""`provenance-guard policy validate` and `policy schema`: every problem printed with its field, and the exit
codes of the CLI's convention: 0 valid (warnings printed), 1 errors, 2 a file that cannot be read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provenance_guard_cli.main import CANNOT_RUN, main
from provenance_guard_cli.sample_account import DEMO_POLICY

ROOT = Path(__file__).resolve().parents[2]


def validate(path: Path | str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["policy", "validate", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def test_a_valid_policy_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert validate(DEMO_POLICY, capsys) == (0, f"{DEMO_POLICY}: valid\n", "")


def test_warnings_are_printed_and_still_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        "exemptions:\n  - {controls: [PG.AMI.5], resources: ['*'], reason: legacy, expires: 2020-01-31}\n",
    )
    code, out, err = validate(path, capsys)
    assert code == 0
    assert out == f"{path}: valid (2 warnings)\n"
    assert f"{path}: warning: exemptions[0].expires: expired on 2020-01-31" in err
    assert f"{path}: warning: notifications: no e-mail address and no chat channel" in err


def test_the_shipped_policy_is_valid_with_the_no_one_notified_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = validate(ROOT / "policy.yaml", capsys)
    assert code == 0
    assert out.endswith("valid (1 warning)\n")
    assert "no one will be notified" in err


def test_every_error_is_printed_with_its_field_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        """\
ami:
  approved_pipelines: ["arn:aws:imagebuildr:*:*:image-pipeline/golden-*"]
  max_age_days: ninety
lambda:
  trusted_signing_profiles: ["arn:aws:signer:us-east-1:12345:/signing-profiles/Release"]
exemptions:
  - {controls: [PG.AMI.9], resources: [i-0123456789abcdef0], expires: 2020-01-01}
notifications:
  emails: [security@example.com]
""",
    )
    code, out, err = validate(path, capsys)
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert [line.split(": ", 3)[2] for line in lines if ": error: " in line] == [
        "ami.approved_pipelines[0]",
        "ami.max_age_days",
        "lambda.trusted_signing_profiles[0]",
        "exemptions[0].reason",
        "exemptions[0].controls[0]",
        "exemptions[0].resources[0]",
    ]
    assert f"{path}: warning: exemptions[0].expires: expired on 2020-01-01" in err
    assert lines[-1] == f"{path}: invalid (6 errors, 1 warning)"


def test_a_yaml_syntax_error_is_an_invalid_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = validate(write(tmp_path, "ami: [unclosed\n"), capsys)
    assert code == 1
    assert "not valid YAML" in err


@pytest.mark.parametrize("name", ["missing.yaml", "."])
def test_a_file_that_cannot_be_read_cannot_run(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = validate(tmp_path / name, capsys)
    assert (code, out) == (CANNOT_RUN, "")
    assert err.startswith("provenance-guard policy: ")


def test_schema_prints_the_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "PG.AMI.3" in schema["properties"]["remediation"]["propertyNames"]["enum"]


def test_schema_writes_a_file(tmp_path: Path) -> None:
    output = tmp_path / "policy.schema.json"
    assert main(["policy", "schema", "--output", str(output)]) == 0
    assert json.loads(output.read_text())["title"].startswith("provenance-guard policy")
