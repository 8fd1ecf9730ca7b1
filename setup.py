"""Install script for the symbolic engine, Blocks and Fuel."""

import atexit
import importlib.util
import os
import shutil
import tempfile
import warnings

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

RUNTIME_DIR = os.path.join("symbolic", "backends", "c", "runtime")


def _runtime_module():
    """Load runtime.py by path (it needs only the standard library at import)."""
    path = os.path.join(RUNTIME_DIR, "runtime.py")
    spec = importlib.util.spec_from_file_location("_runtime_sources", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _runtime_extensions():
    """The C runtime extension, when numpy's headers are available to build it."""
    try:
        import numpy
    except ImportError:
        return []
    sources = [
        os.path.join(RUNTIME_DIR, name)
        for name in sorted(os.listdir(RUNTIME_DIR))
        if name.endswith((".c", ".h"))
    ]
    return [
        Extension(
            "symbolic.backends.c.runtime._runtime",
            sources=[os.path.join(RUNTIME_DIR, "module.c")],
            depends=sources,
            include_dirs=[numpy.get_include()],
            # The baseline ISA, not -march=native: an installed copy may run on
            # another CPU than the one that built it (a shared home directory);
            # the hot loops carry AVX-512 and AVX2 clones picked at load time.
            extra_compile_args=["-O3"],
        )
    ]


class OptionalBuildExt(build_ext):
    """Build the C runtime when a compiler exists; install without it otherwise.

    Without the prebuilt extension the runtime is compiled on first use (or
    the LLVM/Python backends run), so a failure here only costs start-up time.
    A stamp of the source hash next to the extension lets the loader reject
    a build that no longer matches its sources.
    """

    def run(self):
        try:
            super().run()
        except Exception as exc:  # no compiler, missing headers...
            warnings.warn(f"the C runtime was not prebuilt: {exc}", stacklevel=1)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:
            warnings.warn(f"the C runtime was not prebuilt: {exc}", stacklevel=1)
            return
        _write_stamp(os.path.dirname(self.get_ext_fullpath(ext.name)))

    def copy_extensions_to_source(self):
        super().copy_extensions_to_source()
        if os.path.exists(os.path.join(self.build_lib, RUNTIME_DIR, "SOURCE_HASH")):
            _write_stamp(RUNTIME_DIR)


def _scratch_directory():
    """A private folder for build/ and egg-info, removed when setup.py ends.

    pip builds in the source tree, and setuptools would otherwise leave its
    build/ and *.egg-info folders there after every install.
    """
    path = tempfile.mkdtemp(prefix="symbolic-blocks-build-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def _write_stamp(directory):
    # The built file's size and sha256 too: the loader checks them before it
    # imports the file (a truncated library would kill the process).
    runtime = _runtime_module()
    built = [
        name
        for name in os.listdir(directory)
        if name.startswith("_runtime.") and name.endswith((".so", ".pyd"))
    ]
    lines = [runtime.source_hash()]
    lines += [runtime.file_stamp(os.path.join(directory, name)) for name in built]
    with open(os.path.join(directory, "SOURCE_HASH"), "w") as handle:
        handle.write("\n".join(lines) + "\n")


SCRATCH = _scratch_directory()

setup(
    name="symbolic-blocks",
    version="0.2.0",
    description="A Theano-compatible engine with Blocks and Fuel on top",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    author="The symbolic-blocks developers",
    license="MIT",
    license_files=["LICENSE"],
    keywords="theano blocks fuel deep-learning symbolic autodiff",
    classifiers=[
        "Development Status :: 4 - Beta",
        "Intended Audience :: Science/Research",
        "Operating System :: POSIX :: Linux",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: C",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
    python_requires=">=3.10",
    packages=find_packages(exclude=["tests", "tests.*", "benchmarks", "examples"]),
    package_data={
        "fuel": ["data/*.npz", "data/*.txt"],
        "symbolic.backends.c": ["*.h"],
        "symbolic.backends.c.runtime": ["*.c", "*.h"],
    },
    ext_modules=_runtime_extensions(),
    cmdclass={"build_ext": OptionalBuildExt},
    options={
        "build": {"build_base": os.path.join(SCRATCH, "build")},
        "egg_info": {"egg_base": SCRATCH},
    },
    install_requires=[
        "numpy>=2.0",
        "scipy",
        "pyyaml",
        "six",
        "toolz",
        "picklable-itertools",
        "progressbar2",
        "llvmlite",
    ],
    extras_require={
        "test": [
            "pytest",
            "pytest-xdist",
            "ruff",
            "h5py",
            "pyzmq",
            "pillow",
            "bokeh",
            "sphinx",
        ],
        "bench": ["pytensor", "jax", "jaxlib", "torch==2.13.0"],
        "cuda": ["pycuda"],
        "hdf5": ["h5py"],
        "image": ["pillow"],
        "server": ["pyzmq"],
        "plot": ["bokeh"],
        "mpi": ["mpi4py"],
    },
    entry_points={
        "console_scripts": [
            "blocks-continue = blocks.scripts.continue_training:main",
            "fuel-download = fuel.bin.fuel_download:main",
            "fuel-convert = fuel.bin.fuel_convert:main",
            "fuel-info = fuel.bin.fuel_info:main",
            "blocks-plot = blocks.scripts.plot:main",
        ]
    },
)
