"""The account in one Region, as a resource: what a sweep re-checks."""

from __future__ import annotations

from provenance_guard.collect.base import Kind
from provenance_guard.model import ResourceKind, ResourceRef


def _account_id(ref: ResourceRef) -> str:
    return f"AWS::::Account:{ref.account}"


ACCOUNT = ResourceKind("account", asff_type="AwsAccount", arn=None, family="EC2", id_format=_account_id)
"""`ResourceRef.name` is the account id; the resource id is Security Hub's `AWS::::Account:<id>` (the
Region is the reference's own)."""

KINDS = (Kind(ACCOUNT),)
