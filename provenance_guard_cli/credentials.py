"""The AWS session `evaluate` reads the account with: the default credential chain, a named profile
(`--profile`), and optionally a role assumed from it (`--role-arn`), refreshed before it expires so a long
evaluation does not fail half-way."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, RefreshableCredentials

SESSION_NAME = "provenance-guard-evaluate"


def evaluation_session(profile: str | None, role_arn: str | None) -> boto3.session.Session:
    """A boto3 session for `profile` (None: the default chain), acting as `role_arn` when given.
    botocore raises `ProfileNotFound` for an unknown profile, and the first call raises `ClientError` when
    the role cannot be assumed (both are "cannot run": exit 2)."""
    base = boto3.session.Session(profile_name=profile)
    if role_arn is None:
        return base
    core = botocore.session.get_session()
    resolver = core.get_component("credential_provider")
    resolver.insert_before("env", _AssumedRole(base, role_arn))
    return boto3.session.Session(botocore_session=core, region_name=base.region_name)


class _AssumedRole(CredentialProvider):
    """A botocore credential provider (its documented extension point) whose credentials are the role's,
    fetched with the source session and refreshed by botocore before they expire."""

    METHOD = "provenance-guard-assume-role"

    def __init__(self, source: boto3.session.Session, role_arn: str) -> None:
        super().__init__()
        self._sts = source.client("sts")
        self._role_arn = role_arn

    def load(self) -> Any:
        return RefreshableCredentials.create_from_metadata(self._fetch(), self._fetch, self.METHOD)

    def _fetch(self) -> dict[str, str]:
        credentials = self._sts.assume_role(RoleArn=self._role_arn, RoleSessionName=SESSION_NAME)["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }
