"""The sequence-to-sequence examples run, briefly and with tiny sizes."""

import importlib.util
import io
import pathlib
import re
import sys

import numpy

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def load_example(name):
    spec = importlib.util.spec_from_file_location(
        f"{name}_example", EXAMPLES / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reverse_words_trains_then_searches(tmp_path, capsys, monkeypatch):
    example = load_example("reverse_words")
    assert example.reverse_words(([27, 7, 8, 26, 0, 1, 28],)) == (
        [27, 8, 7, 26, 1, 0, 28],
    )
    text = tmp_path / "lines.txt"
    text.write_text("hello world\nreverse these words\nbeam search\nab\n" * 3)
    save_path = str(tmp_path / "model.tar")
    sizes = ["--dim", "6", "--embedding-dim", "4", "--save-path", save_path]
    main_loop = example.main(
        ["train", str(text), "--num-batches", "2", "--batch-size", "3", *sizes]
    )
    assert main_loop.log.status["iterations_done"] == 2
    assert numpy.isfinite(main_loop.log.current_row["sequence_log_likelihood"])
    assert pathlib.Path(save_path).exists()

    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello\n\n"))
    results = example.main(["beam_search", "--beam-size", "3", *sizes])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Reversals of 'hello':"
    assert len(lines) == 4
    for line in lines[1:]:
        assert re.fullmatch(r"\((\d+\.\d{4}|inf|nan)\) .*", line)
    ((word, outputs, costs),) = results
    assert word == "hello" and len(outputs) == len(costs) == 3


def test_markov_chain_recovers_a_stochastic_matrix(capsys):
    example = load_example("markov_chain")
    samples = example.sample_chain(2000, 5, numpy.random.RandomState(0))
    # The sampler itself follows the chain: 1 never goes to 2.
    pairs = numpy.stack([samples[:, :-1].ravel(), samples[:, 1:].ravel()])
    assert not ((pairs[0] == 1) & (pairs[1] == 2)).any()
    estimate = example.main(
        ["--num-batches", "3", "--batch-size", "8", "--length", "6", "--dim", "4"]
    )
    assert estimate.shape == (3, 3)
    numpy.testing.assert_allclose(estimate.sum(axis=1), 1, rtol=1e-6)
    out = capsys.readouterr().out
    assert "Estimated by the generator:" in out
    sampled = out.split("Sampled sequences:\n")[1].split()
    assert len(sampled) == 5 and all(re.fullmatch("[012]{6}", s) for s in sampled)


def test_translation_samples_translations(capsys):
    example = load_example("translation")
    pairs = example.make_corpus(3, 6, 4, numpy.random.RandomState(0))
    for source, target in pairs:
        assert source[-1] == target[-1] == example.EOS
        assert len(source) == len(target)
    translations = example.main(
        [
            "--num-batches",
            "2",
            "--batch-size",
            "4",
            "--vocabulary",
            "6",
            "--max-length",
            "4",
            "--embedding-dim",
            "3",
            "--dim",
            "4",
            "--corpus-size",
            "8",
            "--num-samples",
            "2",
        ]
    )
    assert len(translations) == 2
    for words in translations:
        assert 1 <= len(words) <= 6
        assert all(0 <= word < 6 for word in words)
    out = capsys.readouterr().out
    assert out.count("sampled:") == 2
