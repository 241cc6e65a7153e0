"""Container-image signature verification (PG.ECR.3). The submodules import `cryptography`; import
them only where a signature is judged, so no other handler pays for it at cold start."""
