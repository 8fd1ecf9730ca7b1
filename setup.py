"""Install script for the symbolic engine, Blocks and Fuel."""
from setuptools import find_packages, setup

setup(
    name="symbolic-blocks",
    version="0.2.0",
    description="A Theano-compatible engine with Blocks and Fuel on top",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(exclude=["tests", "tests.*", "benchmarks", "examples"]),
    package_data={"fuel": ["data/*.npz", "data/*.txt"]},
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
        "test": ["pytest", "pytest-xdist", "ruff"],
        "bench": ["pytensor", "jax", "jaxlib", "torch==2.13.0"],
        "cuda": ["pycuda"],
    },
    entry_points={
        "console_scripts": [
            "blocks-continue = blocks.scripts.continue_training:main",
        ]
    },
)
