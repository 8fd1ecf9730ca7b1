"""The version of this Blocks."""

version = "0.2.0"
