import gzip
import pickle

import pytest

from fuel.datasets import OneBillionWord, TextFile
from fuel.streams import DataStream

WORDS = {"<S>": 0, "</S>": 1, "<UNK>": 2, "the": 3, "cat": 4}


def test_reads_partitions_from_the_data_path(tmp_path, monkeypatch):
    monkeypatch.setenv("FUEL_DATA_PATH", str(tmp_path))
    folder = tmp_path / "1-billion-word" / "heldout-monolingual.tokenized.shuffled"
    folder.mkdir(parents=True)
    (folder / "news.en.heldout-00000-of-00050").write_text("the cat\n")
    (folder / "news.en.heldout-00003-of-00050").write_text("the dog\n")
    dataset = OneBillionWord("heldout", [0, 3], WORDS)
    assert list(DataStream(dataset).get_epoch_iterator()) == [
        ([0, 3, 4, 1],),
        ([0, 3, 2, 1],),
    ]
    with pytest.raises(FileNotFoundError, match="00001-of-00050"):
        OneBillionWord("heldout", [1], WORDS)


@pytest.mark.parametrize(
    "which_set, partitions, message",
    [
        ("test", [1], "training"),
        ("training", [0], "1 to 99"),
        ("heldout", [50], "0 to 49"),
    ],
)
def test_bad_sets_and_partitions(which_set, partitions, message):
    with pytest.raises(ValueError, match=message):
        OneBillionWord(which_set, partitions, WORDS)


def test_text_file_reads_gzipped_files_and_resumes_from_a_pickle(tmp_path):
    path = tmp_path / "lines.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("the cat\ncat\nthe\n")
    stream = DataStream(TextFile([str(path)], WORDS))
    epoch = stream.get_epoch_iterator()
    assert next(epoch) == ([0, 3, 4, 1],)
    resumed = pickle.loads(pickle.dumps(epoch))
    assert list(resumed) == [([0, 4, 1],), ([0, 3, 1],)]
    assert list(epoch) == [([0, 4, 1],), ([0, 3, 1],)]
