"""Where the CUDA libraries loaded with ctypes (cuBLAS, NVRTC) are looked for."""

import ctypes.util
import glob
import importlib.util
import os


def candidates(stem, versions=("13", "12", "11")):
    """Paths or names to try for ``lib<stem>.so``, most likely first.

    The loader's own search, the versioned names, the toolkit's ``lib64``
    (``CUDA_HOME``, ``CUDA_PATH`` or ``/usr/local/cuda``), then the
    ``nvidia-*`` wheels' ``nvidia/<package>/lib`` folders (PyTorch's own
    CUDA libraries come that way).
    """
    found = ctypes.util.find_library(stem)
    if found:
        yield found
    yield f"lib{stem}.so"
    for version in versions:
        yield f"lib{stem}.so.{version}"
    home = (
        os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH") or "/usr/local/cuda"
    )
    yield from sorted(glob.glob(os.path.join(home, "lib64", f"lib{stem}.so*")))
    spec = importlib.util.find_spec("nvidia")
    for root in (spec.submodule_search_locations or []) if spec else []:
        yield from sorted(glob.glob(os.path.join(root, "*", "lib", f"lib{stem}.so*")))


def load(stem):
    """The first of :func:`candidates` that ctypes loads, or None."""
    for name in candidates(stem):
        if "builtins" in os.path.basename(name):
            continue
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None
