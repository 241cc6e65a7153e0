"""AWS readers: each turns a `ResourceRef` into an immutable snapshot. All boto3 reads live here."""
