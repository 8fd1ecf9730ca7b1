"""Placeholder: filled in by the shape op family."""

__all__ = []
