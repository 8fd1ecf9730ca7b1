"""Placeholder: filled in by the extra op family."""

__all__ = []
