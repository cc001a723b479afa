"""lowbit.Model on the bundled model: greedy generation equals the CLI's
output, logits and perplexity agree with each other, metadata, errors."""
import math
import subprocess

import numpy as np
import pytest

import lowbit

PROMPT = "ROMEO:"


@pytest.fixture(scope="module")
def model(tiny_model_path):
    return lowbit.Model(tiny_model_path, n_ctx=256)


def test_generate_equals_cli_greedy(model, lowbit_bin, tiny_model_path):
    cli = subprocess.run([lowbit_bin, "generate", "-m", tiny_model_path, "-p", PROMPT, "-n", "40", "--temp", "0",
                          "-c", "256"], capture_output=True, check=True)
    expected = cli.stdout.decode("utf-8")
    assert expected.endswith("\n")
    gen = model.generate(PROMPT, n_predict=40, temperature=0)
    pieces = list(gen)
    assert len(pieces) > 1  # streamed, not one block
    assert "".join(pieces) == expected[:-1]
    assert gen.result["n_generated"] == 40 and gen.result["finish_reason"] == "length"


def test_generate_is_deterministic_with_a_seed(model):
    a = "".join(model.generate(PROMPT, n_predict=20, temperature=0.8, seed=7))
    b = "".join(model.generate(PROMPT, n_predict=20, temperature=0.8, seed=7))
    assert a == b


def test_tokenize_round_trip(model):
    text = "To be, or not to be: that is the question."
    ids = model.tokenize(text)
    assert all(isinstance(i, int) for i in ids) and len(ids) > 3
    assert model.detokenize(ids) == text


def test_logits_and_perplexity_agree(model):
    ids = model.tokenize("First Citizen:\nBefore we proceed any further, hear me speak.", add_bos=True)
    logits = model.logits(ids)
    assert logits.shape == (len(ids), model.n_vocab) and logits.dtype == np.float32
    lp = logits.astype(np.float64)
    lp = lp - lp.max(1, keepdims=True)
    lp = lp - np.log(np.exp(lp).sum(1, keepdims=True))
    nll = -np.mean([lp[i, ids[i + 1]] for i in range(len(ids) - 1)])
    assert math.isclose(model.perplexity(ids), math.exp(nll), rel_tol=1e-9)
    # The greedy continuation is the argmax of the last logits.
    first = model.tokenize("".join(model.generate(PROMPT, n_predict=1, temperature=0)))
    assert int(np.argmax(model.logits(model.tokenize(PROMPT, add_bos=True))[-1])) == first[0]


def test_metadata(model):
    md = model.metadata
    assert md["general.architecture"] == model.architecture
    assert isinstance(md["tokenizer.ggml.tokens"], list) and len(md["tokenizer.ggml.tokens"]) == model.n_vocab


def test_chat_streams_an_answer(model):
    out = "".join(model.chat([{"role": "user", "content": "Hello"}], n_predict=8, temperature=0))
    assert isinstance(out, str)


def test_errors_carry_the_cpp_message(tmp_path):
    with pytest.raises(lowbit.LowbitError, match="nothing.gguf"):
        lowbit.Model(tmp_path / "nothing.gguf")
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 8)
    with pytest.raises(lowbit.LowbitError):
        lowbit.Model(bad)


def test_bad_token_ids(model):
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model.logits([model.n_vocab + 5])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model.detokenize([-1])


def test_ctrl_c_stops_a_generation_and_the_model_stays_usable(model):
    import _thread
    expected = "".join(model.generate(PROMPT, n_predict=12, temperature=0))
    gen = model.generate(PROMPT, n_predict=-1, temperature=0)  # until the context is full
    with pytest.raises(KeyboardInterrupt):
        for i, _ in enumerate(gen):
            if i == 2:
                _thread.interrupt_main()  # what Ctrl-C does
    # The worker is at most a few tokens ahead and waits; the next call
    # cancels it instead of waiting for the context to fill.
    assert "".join(model.generate(PROMPT, n_predict=12, temperature=0)) == expected
    assert gen.result["finish_reason"] == "cancelled" and gen.result["n_generated"] < 10


def test_break_then_logits(model):
    for _ in model.generate(PROMPT, n_predict=-1, temperature=0):
        break
    assert model.logits(model.tokenize(PROMPT, add_bos=True)).shape[1] == model.n_vocab
