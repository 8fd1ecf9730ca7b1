"""Monitoring: aggregating values over batches and evaluating them on data."""
