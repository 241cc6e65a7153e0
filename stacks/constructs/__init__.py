"""Constructs: each owns one capability's resources; the stack wires them together."""
