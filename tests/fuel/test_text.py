import pickle

import pytest

from fuel.datasets import TextFile
from fuel.streams import DataStream

WORDS = {"<S>": 0, "</S>": 1, "<UNK>": 2, "the": 3, "cat": 4, "sat": 5}


@pytest.fixture
def files(tmp_path):
    first = tmp_path / "a.txt"
    first.write_text("the cat sat\nThe dog\n")
    second = tmp_path / "b.txt"
    second.write_text("cat\n")
    return [str(first), str(second)]


def test_words_with_bos_eos_and_unk(files):
    stream = DataStream(TextFile(files, WORDS))
    assert stream.sources == ("features",)
    assert list(stream.get_epoch_iterator()) == [
        ([0, 3, 4, 5, 1],),
        ([0, 2, 2, 1],),
        ([0, 4, 1],),
    ]
    assert len(list(stream.get_epoch_iterator())) == 3


def test_preprocess_and_no_markers(files):
    dataset = TextFile(
        files, WORDS, bos_token=None, eos_token=None, preprocess=str.lower
    )
    state = dataset.open()
    assert dataset.get_data(state) == ([3, 4, 5],)
    assert dataset.get_data(state) == ([3, 2],)
    dataset.close(state)


def test_character_level(tmp_path):
    path = tmp_path / "chars.txt"
    path.write_text("ab a\n")
    letters = {"a": 0, "b": 1, "<UNK>": 2}
    dataset = TextFile(
        [str(path)], letters, bos_token=None, eos_token=None, level="character"
    )
    assert dataset.get_data(dataset.open()) == ([0, 1, 2, 0],)


def test_missing_word_without_unk_token(files):
    dataset = TextFile(files, WORDS, unk_token=None)
    state = dataset.open()
    dataset.get_data(state)
    with pytest.raises(KeyError, match="'The'"):
        dataset.get_data(state)


def test_bad_arguments(files):
    with pytest.raises(ValueError, match="bos_token '<BOS>'"):
        TextFile(files, WORDS, bos_token="<BOS>")
    with pytest.raises(ValueError, match="'syllable'"):
        TextFile(files, WORDS, level="syllable")
    with pytest.raises(TypeError, match="list of file names"):
        TextFile(files[0], WORDS)
    with pytest.raises(FileNotFoundError, match=r"nowhere\.txt"):
        TextFile(["nowhere.txt"], WORDS)
    dataset = TextFile(files, WORDS)
    with pytest.raises(ValueError, match="read in order"):
        dataset.get_data(dataset.open(), request=[0])


def test_state_pickles_mid_file_and_across_files(files):
    dataset = TextFile(files, WORDS)
    state = dataset.open()
    dataset.get_data(state)
    copy = pickle.loads(pickle.dumps(state))
    rest = [dataset.get_data(state) for _ in range(2)]
    assert [dataset.get_data(copy) for _ in range(2)] == rest
    with pytest.raises(StopIteration):
        dataset.get_data(copy)
