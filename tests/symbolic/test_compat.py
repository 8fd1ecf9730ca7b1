"""symbolic.compat: the Python 2/3 names Theano 1.0 exposed."""

from symbolic import compat


def test_names_are_the_python3_builtins():
    assert compat.PY3 and not compat.PY2
    assert compat.string_types == (str,) and compat.integer_types == (int,)
    assert list(compat.izip([1, 2], "ab")) == [(1, "a"), (2, "b")]
    assert list(compat.imap(abs, [-1, 2])) == [1, 2]
    assert compat.xrange is range and compat.reduce(max, [1, 3, 2]) == 3
    assert dict(compat.iteritems({"a": 1})) == {"a": 1}
    assert list(compat.iterkeys({"a": 1})) == ["a"]
    assert list(compat.itervalues({"a": 1})) == [1]
    assert compat.cmp(1, 2) == -1 and compat.cmp(2, 2) == 0


def test_decode_and_encode():
    assert compat.decode(b"caf\xc3\xa9") == "café"
    assert compat.decode("already") == "already"
    assert compat.encode("café") == b"caf\xc3\xa9"
    assert list(compat.decode_iter([b"a", b"b"])) == ["a", "b"]
    assert compat.decode_with(b"\xe9", "latin-1") == "é"


def test_every_listed_name_exists():
    for name in compat.__all__:
        assert hasattr(compat, name), name
