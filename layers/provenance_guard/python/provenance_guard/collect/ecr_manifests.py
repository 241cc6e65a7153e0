"""An image manifest read once per pipeline run: the expander (which digests an event concerns) and the
collector (what the image records) both need it, and a manifest by digest never changes. A read that
failed is remembered for the run too, so a registry that keeps failing is not retried twice per image."""

from __future__ import annotations

from provenance_guard.collect.base import RunCache
from provenance_guard.oci.manifest import Manifest
from provenance_guard.oci.registry import RegistryError, RegistryReader


def manifest_once(run: RunCache, reader: RegistryReader, repository: str, digest: str) -> Manifest:
    """`reader.manifest(repository, digest)`, at most once per run; raises its `RegistryError` again."""

    def read() -> Manifest | RegistryError:
        try:
            return reader.manifest(repository, digest)
        except RegistryError as error:
            return error

    found = run.once((manifest_once, reader.base_url, repository, digest), read)
    if isinstance(found, RegistryError):
        raise found
    return found
