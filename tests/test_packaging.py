"""The package's metadata, and an install that leaves the source tree as it was."""

import os
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _tracked_tree(tmp_path):
    """The committed files (as a fresh clone has them) in a temporary folder."""
    archive = tmp_path / "tree.tar"
    try:
        subprocess.run(
            ["git", "archive", "--format=tar", "-o", str(archive), "HEAD"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"not a git checkout, cannot copy the tracked files: {error}")
    tree = tmp_path / "tree"
    with tarfile.open(archive) as handle:
        handle.extractall(tree, filter="data")
    return tree


def test_building_leaves_no_build_or_egg_info_folder(tmp_path):
    tree = _tracked_tree(tmp_path)
    before = sorted(os.listdir(tree))
    result = subprocess.run(
        [sys.executable, "setup.py", "--quiet", "egg_info", "build_py"],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tree)) == before


def test_metadata_names_the_license():
    result = subprocess.run(
        [sys.executable, "setup.py", "--license", "--author"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["MIT", "The symbolic-blocks developers"]
    with open(os.path.join(ROOT, "LICENSE")) as handle:
        assert handle.readline().strip() == "MIT License"
