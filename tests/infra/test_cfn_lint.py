"""cfn-lint (1.x, as a library) on the template the session synthesized into its temporary outdir."""

from __future__ import annotations

import pytest
import yaml
from cfnlint.api import lint

from tests.infra.support import PROJECT_ROOT

pytestmark = pytest.mark.infra


def test_template_has_no_cfn_lint_errors_or_warnings(synth, tmp_path, monkeypatch):
    settings = yaml.safe_load((PROJECT_ROOT / ".cfnlintrc.yaml").read_text()) or {}
    ignored = set(settings.get("ignore_checks", []))
    template = synth.outdir / f"{synth.stack.artifact_id}.template.json"
    # The library reads .cfnlintrc* from the cwd and ~ (and globs its `templates`, e.g. ./cdk.out):
    # run it where there is none, lint everything, then drop only what the repo's file ignores.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    matches = lint(template.read_text(), regions=settings.get("regions"))
    unexpected = [f"{m.rule.id} {m.path_string}: {m.message}" for m in matches if m.rule.id not in ignored]
    assert unexpected == []
