"""settings.py: the environment, read once at the composition root."""

from __future__ import annotations

import pytest

from provenance_guard.settings import (
    ENV_FUNCTION,
    ENV_POLICY_FILE,
    ENV_POLICY_MAX_AGE,
    ENV_POLICY_PARAMETER,
    ENV_REGISTRY_URL,
    ENV_SECURITYHUB_RPS,
    ENV_TABLE_NAME,
    ENV_TOPIC_ARN,
    Settings,
    SettingsError,
)

MINIMAL = {ENV_TABLE_NAME: "findings", ENV_POLICY_PARAMETER: "/provenance-guard/policy"}


def test_minimal_environment_takes_the_defaults() -> None:
    assert Settings.from_env(MINIMAL) == Settings(
        table_name="findings",
        topic_arn=None,
        policy_parameter="/provenance-guard/policy",
        policy_file=None,
        function="unknown",
        securityhub_requests_per_second=5.0,
        policy_max_age_seconds=300,
    )


def test_full_environment() -> None:
    settings = Settings.from_env(
        {
            **MINIMAL,
            ENV_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:pg",
            ENV_POLICY_FILE: "/opt/policy.yaml",
            ENV_FUNCTION: "ami",
            ENV_SECURITYHUB_RPS: "2.5",
            ENV_POLICY_MAX_AGE: "60",
        }
    )
    assert settings.topic_arn == "arn:aws:sns:us-east-1:123456789012:pg"
    assert settings.policy_file == "/opt/policy.yaml"
    assert settings.function == "ami"
    assert settings.securityhub_requests_per_second == 2.5
    assert settings.policy_max_age_seconds == 60


def test_the_registry_url_replaces_ecrs_registry_endpoint() -> None:
    assert Settings.from_env(MINIMAL).registry_url is None
    assert (
        Settings.from_env({**MINIMAL, ENV_REGISTRY_URL: "http://127.0.0.1:5000"}).registry_url
        == "http://127.0.0.1:5000"
    )


def test_a_policy_file_alone_is_enough() -> None:
    settings = Settings.from_env({ENV_TABLE_NAME: "t", ENV_POLICY_FILE: "policy.yaml"})
    assert (settings.policy_file, settings.policy_parameter) == ("policy.yaml", None)


def test_empty_values_count_as_unset() -> None:
    settings = Settings.from_env({**MINIMAL, ENV_TOPIC_ARN: "", ENV_POLICY_FILE: ""})
    assert (settings.topic_arn, settings.policy_file) == (None, None)


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TABLE_NAME, "from-os-environ")
    monkeypatch.setenv(ENV_POLICY_FILE, "p.yaml")
    assert Settings.from_env().table_name == "from-os-environ"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        pytest.param({ENV_POLICY_PARAMETER: "/p"}, f"{ENV_TABLE_NAME} is not set", id="missing-table"),
        pytest.param(
            {ENV_TABLE_NAME: "", ENV_POLICY_PARAMETER: "/p"}, f"{ENV_TABLE_NAME} is not set", id="empty-table"
        ),
        pytest.param(
            {ENV_TABLE_NAME: "t"}, f"set {ENV_POLICY_PARAMETER} (SSM parameter) or {ENV_POLICY_FILE}", id="no-policy"
        ),
        pytest.param(
            {**MINIMAL, ENV_SECURITYHUB_RPS: "fast"}, "could not convert string to float", id="rps-not-a-number"
        ),
        pytest.param({**MINIMAL, ENV_SECURITYHUB_RPS: "0"}, "must be between 0 and 10", id="rps-zero"),
        pytest.param({**MINIMAL, ENV_SECURITYHUB_RPS: "-1"}, "must be between 0 and 10", id="rps-negative"),
        pytest.param({**MINIMAL, ENV_SECURITYHUB_RPS: "25"}, "must be between 0 and 10", id="rps-over-the-limit"),
        pytest.param({**MINIMAL, ENV_SECURITYHUB_RPS: "nan"}, "must be between 0 and 10", id="rps-nan"),
        pytest.param({**MINIMAL, ENV_POLICY_MAX_AGE: "5m"}, "invalid literal for int()", id="max-age-not-an-int"),
        pytest.param(
            {**MINIMAL, ENV_REGISTRY_URL: "127.0.0.1:5000"}, "must be an http(s) URL", id="registry-not-a-url"
        ),
    ],
)
def test_bad_environment_is_a_settings_error(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(environ)
    assert message in str(raised.value)
