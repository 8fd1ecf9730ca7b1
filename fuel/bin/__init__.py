"""The console scripts ``fuel-download``, ``fuel-convert`` and ``fuel-info``."""
