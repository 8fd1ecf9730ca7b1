"""Suite-wide settings."""

from symbolic.config import config

# Tests check what the compiled program runs on its first call, so C kernels
# are built before it (the default builds them in the background);
# tests/symbolic/backends/c/test_tiered.py covers the background path.
config.compile__background = False
