"""JSON Schemas of what the command line writes (package data)."""
