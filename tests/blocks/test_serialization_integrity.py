"""Checkpoints survive kills, full disks and damage, or say what went wrong.

What :func:`secure_dump` promises: the temporary file is beside the target
(one rename, never a copy), the file and its folder are flushed, the
leftovers of killed saves are removed by the next save, the process umask
is never touched, and an unpicklable object leaves the target as it was.
What :func:`load` promises: every member is checked against the SHA-256
recorded when it was saved, and a damaged file gives an error naming it.

"""

import errno
import io
import os
import pickle
import stat
import subprocess
import sys
import tarfile
import threading

import numpy
import pytest

from blocks import serialization
from blocks.serialization import (
    CorruptDumpError,
    dump,
    load,
    load_parameters,
    secure_dump,
)
from blocks.utils import shared_floatx


def saved_dump(path, value=1.0):
    W = shared_floatx(numpy.full(3, value), name="W")
    secure_dump({"W": W, "tag": "first"}, str(path), parameters=[W])
    return path.read_bytes()


def member_data_offset(data, name):
    with tarfile.open(fileobj=io.BytesIO(data)) as tar_file:
        member = tar_file.getmember(name)
        return member.offset_data, member.size


def test_the_temporary_file_is_beside_the_target(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("BLOCKS_TEMPDIR", str(elsewhere))
    renames = []
    real_replace = os.replace

    def recording_replace(source, target):
        renames.append((os.path.dirname(source), os.path.dirname(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", recording_replace)
    path = tmp_path / "dump.tar"
    secure_dump([1, 2], str(path))
    assert renames == [(str(tmp_path), str(tmp_path))]
    with open(path, "rb") as f:
        assert load(f) == [1, 2]


def test_the_file_and_its_folder_are_flushed(tmp_path, monkeypatch):
    flushed = []
    real_fsync = os.fsync

    def recording_fsync(descriptor):
        flushed.append(stat.S_ISDIR(os.fstat(descriptor).st_mode))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    secure_dump([1], str(tmp_path / "dump.tar"))
    assert flushed == [False, True]


def test_the_umask_is_never_touched(tmp_path, monkeypatch):
    previous = os.umask(0o027)
    try:

        def forbidden(mask):
            raise AssertionError("secure_dump changed the process umask")

        monkeypatch.setattr(os, "umask", forbidden)
        path = tmp_path / "dump.tar"
        secure_dump([1], str(path))
    finally:
        monkeypatch.undo()
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def _dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_leftovers_of_killed_saves_are_removed(tmp_path):
    path = tmp_path / "dump.tar"
    killed = tmp_path / f".blocks_dump_dump.tar.{_dead_pid()}.0a1b2c3d"
    killed.write_bytes(b"half a checkpoint")
    # A save in progress in a live process (pid 1) is left alone, and so
    # are the files of other targets.
    running = tmp_path / ".blocks_dump_dump.tar.1.0a1b2c3d"
    running.write_bytes(b"being written")
    other = tmp_path / f".blocks_dump_other.tar.{_dead_pid()}.0a1b2c3d"
    other.write_bytes(b"another target")
    secure_dump([1], str(path))
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["dump.tar", running.name, other.name]
    )


def test_an_unpicklable_object_leaves_the_target_untouched(tmp_path):
    path = tmp_path / "dump.tar"
    before = saved_dump(path)

    def local_function():
        pass

    for unpicklable in (local_function, threading.Lock()):
        with pytest.raises(pickle.PicklingError):
            secure_dump({"bad": unpicklable}, str(path))
        assert path.read_bytes() == before
        assert os.listdir(tmp_path) == ["dump.tar"]


def test_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path):
    path = tmp_path / "dump.tar"
    before = saved_dump(path)

    def full_disk_dump(object_, file_, **kwargs):
        file_.write(b"the beginning")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OSError, match="disk is full") as error:
        secure_dump([1], str(path), dump_function=full_disk_dump)
    assert error.value.errno == errno.ENOSPC
    assert str(path) in str(error.value)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["dump.tar"]


@pytest.mark.parametrize("member", ["_pkl", "_parameters"])
def test_a_flipped_bit_is_detected(tmp_path, member):
    path = tmp_path / "dump.tar"
    data = bytearray(saved_dump(path))
    offset, size = member_data_offset(bytes(data), member)
    data[offset + size - 3] ^= 0x01
    path.write_bytes(bytes(data))
    with open(path, "rb") as f, pytest.raises(CorruptDumpError, match=member) as error:
        load(f)
    assert str(path) in str(error.value)
    if member == "_parameters":
        with open(path, "rb") as f, pytest.raises(CorruptDumpError, match="checksum"):
            load_parameters(f)


def test_dumps_without_checksums_still_load(tmp_path):
    # As saved before checksums: plain members without PAX headers.
    W = shared_floatx(numpy.ones(2), name="W")
    new = io.BytesIO()
    dump({"W": W}, new, parameters=[W])
    old = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(new.getvalue())) as source:
        with tarfile.open(fileobj=old, mode="w", format=tarfile.GNU_FORMAT) as target:
            for member in source.getmembers():
                info = tarfile.TarInfo(member.name)
                info.size = member.size
                target.addfile(info, source.extractfile(member))
    with tarfile.open(fileobj=io.BytesIO(old.getvalue())) as check:
        assert all(not m.pax_headers for m in check.getmembers())
    assert load_parameters(old)["W"].tolist() == [1.0, 1.0]
    assert load(old)["W"].get_value().tolist() == [1.0, 1.0]


@pytest.mark.parametrize("fraction", [0.0, 0.05, 0.3, 0.6, 0.95, 0.999])
def test_a_truncated_dump_names_the_file(tmp_path, fraction):
    path = tmp_path / "dump.tar"
    data = saved_dump(path)
    # The archive ends with zero padding; cut into what precedes it.
    with tarfile.open(fileobj=io.BytesIO(data)) as tar_file:
        last = tar_file.getmembers()[-1]
        content = last.offset_data + last.size
    path.write_bytes(data[: int(content * fraction)])
    for reader in (load, load_parameters):
        with open(path, "rb") as f, pytest.raises(CorruptDumpError) as error:
            reader(f)
        assert str(path) in str(error.value)


class DefinedInMain:
    pass


def test_a_class_of_another_main_module_says_how_to_fix_it(tmp_path, monkeypatch):
    monkeypatch.setattr(DefinedInMain, "__module__", "__main__")
    monkeypatch.setattr(
        sys.modules["__main__"], "DefinedInMain", DefinedInMain, raising=False
    )
    path = tmp_path / "dump.tar"
    with pytest.warns(UserWarning, match="DefinedInMain"):
        secure_dump(DefinedInMain(), str(path))
    monkeypatch.delattr(sys.modules["__main__"], "DefinedInMain")
    with open(path, "rb") as f, pytest.raises(AttributeError) as error:
        load(f)
    message = str(error.value)
    assert str(path) in message
    assert "DefinedInMain" in message
    assert "--script" in message


def test_secure_dump_keeps_working_with_pickle_dump(tmp_path):
    path = tmp_path / "dump.pkl"
    secure_dump({"b": 3}, str(path), dump_function=pickle.dump)
    with open(path, "rb") as f:
        assert pickle.load(f) == {"b": 3}
    assert serialization.TEMP_PREFIX == ".blocks_dump_"
