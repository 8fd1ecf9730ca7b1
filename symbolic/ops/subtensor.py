"""Placeholder: filled in by the subtensor op family."""

__all__ = []
