"""DSSE (Dead Simple Signing Envelope) v1: the pre-authentication encoding every DSSE signature covers."""

from __future__ import annotations


def pae(payload_type: str, body: bytes) -> bytes:
    """`DSSEv1 <len> <type> <len> <body>` (lengths in bytes)."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(body), body)
