"""A Rekor transparency-log entry of a Sigstore bundle (`verificationMaterial.tlogEntries[]`), checked
offline against the trust root's log keys:

- the signed entry timestamp (SET, `inclusionPromise`): the log's signature over the canonical JSON
  {"body", "integratedTime", "logID" (hex), "logIndex"}; it makes `integratedTime` a trusted time;
- the inclusion proof: the RFC 6962 / RFC 9162 Merkle audit path from the leaf hash
  SHA-256(0x00 || body) to `rootHash`, and the checkpoint (a signed note: origin, tree size, base64 root
  hash, then `— <name> base64(key hint || signature)`) signed by the log's key and naming that size
  and root. An entry with a proof and no SET proves inclusion but not a time.

Rekor v1 logs (ECDSA P-256, key hint = the first 4 bytes of the log id) are what this verifies; a
Rekor v2 (tile log, Ed25519) entry carries no SET and its checkpoint key hint is computed differently:
it is refused with a reason. Imports `cryptography`: load this module lazily.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from provenance_guard.signatures.envelope import SignatureError
from provenance_guard.signatures.sigstore_root import TransparencyLog, TrustRoot

MAX_PROOF = 64


@dataclass(frozen=True)
class LogEntry:
    """A verified entry: its body, index, and the integrated time when a SET vouches for it."""

    body: Mapping[str, Any]
    log_index: int
    log_url: str
    integrated_time: datetime | None
    proven: tuple[str, ...]
    """What was checked: `signed entry timestamp`, `inclusion proof`."""


def verify_entry(entry: Mapping[str, Any], root: TrustRoot) -> LogEntry:
    try:
        body_bytes = base64.b64decode(entry["canonicalizedBody"], validate=True)
        body = json.loads(body_bytes)
        log_id = base64.b64decode(entry["logId"]["keyId"], validate=True)
        log_index = int(entry["logIndex"])
        integrated = int(entry.get("integratedTime", 0))
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise SignatureError(
            "MALFORMED_BUNDLE", f"a transparency-log entry is incomplete ({type(error).__name__})"
        ) from None
    log = root.log(log_id)
    if log is None:
        raise SignatureError("UNTRUSTED_LOG", f"the entry's log {log_id.hex()[:16]}… is not in trust root {root.name}")
    if not isinstance(log.key, ec.EllipticCurvePublicKey):
        raise SignatureError("UNSUPPORTED_LOG", f"log {log.base_url} is a Rekor v2 (Ed25519) log, not verified here")
    proven: list[str] = []
    when = None
    promise = entry.get("inclusionPromise")
    if isinstance(promise, dict) and promise.get("signedEntryTimestamp"):
        _check_set(log, str(entry["canonicalizedBody"]), integrated, log_id, log_index, promise)
        when = datetime.fromtimestamp(integrated, UTC)
        if not log.valid.covers(when):
            raise SignatureError("UNTRUSTED_LOG", f"log key {log.base_url} was not valid at {when.isoformat()}")
        proven.append("signed entry timestamp")
    proof = entry.get("inclusionProof")
    if isinstance(proof, dict):
        _check_proof(log, body_bytes, proof)
        proven.append("inclusion proof")
    if not proven:
        raise SignatureError(
            "NO_TLOG_PROOF", "the transparency-log entry has neither a signed entry timestamp nor a proof"
        )
    return LogEntry(body, log_index, log.base_url, when, tuple(proven))


def _check_set(
    log: TransparencyLog, body: str, integrated: int, log_id: bytes, index: int, promise: Mapping[str, Any]
) -> None:
    canonical = json.dumps(
        {"body": body, "integratedTime": integrated, "logID": log_id.hex(), "logIndex": index},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    try:
        signature = base64.b64decode(str(promise["signedEntryTimestamp"]), validate=True)
        _verify_ecdsa(log, signature, canonical)
    except (binascii.Error, ValueError, InvalidSignature):
        raise SignatureError(
            "BAD_TLOG_ENTRY", "the signed entry timestamp does not verify with the log's key"
        ) from None


def _check_proof(log: TransparencyLog, body: bytes, proof: Mapping[str, Any]) -> None:
    try:
        index, size = int(proof["logIndex"]), int(proof["treeSize"])
        root_hash = base64.b64decode(proof["rootHash"], validate=True)
        path = [base64.b64decode(h, validate=True) for h in proof.get("hashes", [])]
        note = str(proof["checkpoint"]["envelope"])
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise SignatureError("MALFORMED_BUNDLE", "the inclusion proof is incomplete") from None
    if len(path) > MAX_PROOF:
        raise SignatureError("BAD_TLOG_ENTRY", "the inclusion proof is longer than any tree")
    leaf = hashlib.sha256(b"\x00" + body).digest()
    if root_from_path(index, size, leaf, path) != root_hash:
        raise SignatureError("BAD_TLOG_ENTRY", "the inclusion proof does not lead to its root hash")
    _check_checkpoint(log, note, size, root_hash)


def root_from_path(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root an audit path leads to, or None when the path cannot be one."""
    if not 0 <= index < size:
        return None
    fn, sn, node = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            node = hashlib.sha256(b"\x01" + sibling + node).digest()
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = hashlib.sha256(b"\x01" + node + sibling).digest()
        fn, sn = fn >> 1, sn >> 1
    return node if sn == 0 else None


def _check_checkpoint(log: TransparencyLog, note: str, size: int, root_hash: bytes) -> None:
    text, separator, signatures = note.partition("\n\n")
    lines = text.split("\n")
    if not separator or len(lines) < 3:
        raise SignatureError("BAD_TLOG_ENTRY", "the checkpoint is not a signed note")
    if lines[1] != str(size) or lines[2] != base64.b64encode(root_hash).decode():
        raise SignatureError("BAD_TLOG_ENTRY", "the checkpoint names another tree size or root hash than the proof")
    signed = (text + "\n").encode()
    for line in signatures.split("\n"):
        if not line.startswith("\u2014 "):
            continue
        try:
            raw = base64.b64decode(line.rsplit(" ", 1)[1], validate=True)
        except (binascii.Error, ValueError, IndexError):
            continue
        if raw[:4] != log.log_id[:4]:
            continue
        try:
            _verify_ecdsa(log, raw[4:], signed)
        except (InvalidSignature, ValueError):
            continue
        return
    raise SignatureError("BAD_TLOG_ENTRY", "no checkpoint signature verifies with the log's key")


def _verify_ecdsa(log: TransparencyLog, signature: bytes, data: bytes) -> None:
    key = log.key
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise InvalidSignature
    key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
