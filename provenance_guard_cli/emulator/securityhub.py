"""Security Hub CSPM (ASFF) extensions to moto 5.2.5, patched onto ``SecurityHubResponse``.

moto 5.2.5 stores whatever BatchImportFindings receives (dict.update on re-import, no validation,
no hub check) and GetFindings ignores Filters. This module replaces both and adds
BatchUpdateFindings (moto: not implemented), following AWS's documented semantics:

* BatchImportFindings: 1-100 findings per call (else InvalidInputException). Each finding is checked
  for the AwsSecurityFinding required members, ``SchemaVersion`` 2018-10-08, Resources with Type+Id,
  Severity and Types (top-level or FindingProviderFields, as the user guide requires), enums,
  timestamps, length limits and the 240 KB size; failures land in FailedFindings with ErrorCode
  ``InvalidInput``. A hub that is not enabled, or a ProductArn/AwsAccountId other than the caller's
  default product in its own partition/region/account, gives ErrorCode ``InvalidAccess``.
* Findings are keyed by (ProductArn, Id). A re-import whose UpdatedAt is not strictly later than
  the stored one is ignored (still counted as success). Otherwise the whole finding is replaced,
  except Note, UserDefinedFields, VerificationState and Workflow, which keep their stored values.
  A new finding gets ``Workflow.Status`` NEW and ``RecordState`` ACTIVE unless sent. RecordState
  ARCHIVED->ACTIVE or Compliance.Status PASSED->FAILED/WARNING/NOT_AVAILABLE resets a NOTIFIED or
  RESOLVED workflow to NEW. FindingProviderFields and the top-level Severity/Types/Confidence/
  Criticality/RelatedFindings are reconciled as the user guide describes; Severity Label/Normalized
  fill each other. Security Hub's own fields are added: ProductName ``Default``, CompanyName
  ``Personal``, Region, ProcessedAt and ``aws/securityhub/*`` ProductFields.
* GetFindings: InvalidAccessException when the hub is not enabled; Filters as documented in
  :mod:`.securityhub_filters`; SortCriteria on a single-valued field; MaxResults 1-100 / NextToken.
  Without SortCriteria findings come back in creation order (AWS documents no default order).
* BatchUpdateFindings: Note, Workflow, VerificationState, UserDefinedFields, Severity, Types,
  Confidence, Criticality, RelatedFindings; never changes UpdatedAt.

Not modelled: the "control findings" auto-RESOLVED on PASSED, the 6 MB request limit, the 10 TPS
throttle (use :mod:`.faults`), the ``Security Hub Findings - Imported`` EventBridge events,
cross-Region aggregation, the 90-day retention.
"""

from __future__ import annotations

import json
from typing import Any

from moto.securityhub import urls as securityhub_urls
from moto.securityhub.responses import SecurityHubResponse

from . import securityhub_filters, securityhub_store
from .patches import add_url_path, original, patch_attr


def _params(self: Any) -> dict[str, Any]:
    body = self.body.decode() if isinstance(self.body, bytes) else self.body
    params = json.loads(body) if body else {}
    if not isinstance(params, dict):
        raise securityhub_store.invalid_input("The request body must be a JSON object")
    return params


def batch_import_findings(self: Any) -> str:
    findings = _params(self).get("Findings")
    return json.dumps(securityhub_store.import_findings(self.securityhub_backend, findings))


def get_findings(self: Any) -> str:
    backend = self.securityhub_backend
    securityhub_store.require_enabled(backend)
    stored = [finding.data for finding in securityhub_store.findings_of(backend).values()]
    page, next_token = securityhub_filters.query(stored, _params(self))
    response: dict[str, Any] = {"Findings": page}
    if next_token:
        response["NextToken"] = next_token
    return json.dumps(response)


def batch_update_findings(self: Any) -> str:
    return json.dumps(securityhub_store.batch_update_findings(self.securityhub_backend, _params(self)))


def disable_security_hub(self: Any) -> str:
    result: str = original(SecurityHubResponse, "disable_security_hub")(self)
    securityhub_store.findings_of(self.securityhub_backend).clear()
    return result


def install() -> None:
    for handler in (batch_import_findings, get_findings, batch_update_findings, disable_security_hub):
        patch_attr(SecurityHubResponse, handler.__name__, handler)
    add_url_path(securityhub_urls.url_paths, "{0}/findings/batchupdate$", SecurityHubResponse.dispatch)
