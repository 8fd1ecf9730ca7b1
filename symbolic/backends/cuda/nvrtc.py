"""NVRTC through ctypes: CUDA source to PTX in process, without spawning nvcc.

A compile costs tens of milliseconds where nvcc costs a second, which is
most of a graph's time to first result.  ``libnvrtc`` comes with the CUDA
toolkit or the ``nvidia-cuda-nvrtc`` wheel; :func:`library` finds either,
and returns None when neither is there (nvcc is used then).
"""

import ctypes
import functools
import logging

from symbolic.backends.cuda import libraries

_logger = logging.getLogger(__name__)


class NvrtcError(RuntimeError):
    """NVRTC rejected a source; the message holds its log."""


@functools.cache
def library():
    """The loaded ``libnvrtc`` (ctypes), or None when it cannot be found."""
    lib = libraries.load("nvrtc")
    if lib is not None:
        lib.nvrtcGetErrorString.restype = ctypes.c_char_p
    return lib


@functools.cache
def version():
    """``(major, minor)`` of the loaded NVRTC."""
    major, minor = ctypes.c_int(), ctypes.c_int()
    _check(library(), library().nvrtcVersion(ctypes.byref(major), ctypes.byref(minor)))
    return major.value, minor.value


def _check(lib, status, log=""):
    if status != 0:
        what = lib.nvrtcGetErrorString(status).decode()
        raise NvrtcError(f"NVRTC: {what}" + (f"\n{log}" if log else ""))


def compile_to_ptx(source, options, name="kernels.cu"):
    """Compile ``source`` with ``options`` (a tuple of str); return the PTX text."""
    lib = library()
    if lib is None:
        raise NvrtcError("libnvrtc cannot be loaded")
    program = ctypes.c_void_p()
    _check(
        lib,
        lib.nvrtcCreateProgram(
            ctypes.byref(program), source.encode(), name.encode(), 0, None, None
        ),
    )
    try:
        encoded = [option.encode() for option in options]
        array = (ctypes.c_char_p * len(encoded))(*encoded)
        status = lib.nvrtcCompileProgram(program, len(encoded), array)
        if status != 0:
            _check(lib, status, _log(lib, program))
        size = ctypes.c_size_t()
        _check(lib, lib.nvrtcGetPTXSize(program, ctypes.byref(size)))
        buffer = ctypes.create_string_buffer(size.value)
        _check(lib, lib.nvrtcGetPTX(program, buffer))
        return buffer.value.decode()
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(program))


def _log(lib, program):
    size = ctypes.c_size_t()
    if lib.nvrtcGetProgramLogSize(program, ctypes.byref(size)) != 0:
        return ""
    buffer = ctypes.create_string_buffer(size.value)
    lib.nvrtcGetProgramLog(program, buffer)
    return buffer.value.decode(errors="replace")
