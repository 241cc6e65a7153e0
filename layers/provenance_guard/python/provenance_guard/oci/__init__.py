"""The OCI data path: manifests, config blobs and referrers read from a registry over the OCI
distribution API (ECR's registry endpoint in production, a local registry in tests and the demo).

Shared by container-image provenance (PG.ECR.4) and signatures (PG.ECR.3). Standard library only,
so importing it costs nothing on paths that do not read images.
"""
