"""Rewrite rules, one module per op family."""
