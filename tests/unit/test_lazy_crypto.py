"""`cryptography` and `cbor2` are loaded only where a signature is judged, so other handlers' cold start does not
pay for them."""

from __future__ import annotations

import subprocess
import sys


def modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return set(result.stdout.split())


SIGNATURE_ONLY = ("cryptography", "cbor2", "_cbor2")


def test_the_runtime_and_every_control_load_without_cryptography_or_cbor2():
    loaded = modules_after("import provenance_guard.runtime, provenance_guard.controls, provenance_guard.service")
    assert "provenance_guard.controls.ecr_signature" in loaded
    assert "provenance_guard.collect.ecr_signature" in loaded
    assert not {m for m in loaded if m.split(".")[0] in SIGNATURE_ONLY}


def test_the_verifier_does_load_them():
    loaded = modules_after("import provenance_guard.signatures.verify")
    assert {"cryptography", "cbor2"} <= loaded
