"""The data-parallel example end to end: 2 gloo processes train a small
b1.58 model, rank 0 exports it; the GGUF's logits (lowbit.Model, the C++
runtime) equal the PyTorch model's to 1e-4 relative, and `lowbit generate`
runs it."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import torch

import lowbit
from lowbit.models import BitNetLM

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "train_ddp.py"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("ddp") / "tiny.gguf")
    env = dict(os.environ)
    run = subprocess.run([sys.executable, str(EXAMPLE), "--out", out, "--steps", "12", "--batch", "4",
                          "--seq-len", "32", "--port", str(29500 + os.getpid() % 400)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "exported" in run.stdout
    return out


def pytorch_model(path):
    saved = torch.load(path + ".pt")
    model = BitNetLM(saved["config"])
    model.load_state_dict(saved["state"])
    with torch.no_grad():  # the GGUF stores the embedding in f16
        model.token_embd.weight.copy_(model.token_embd.weight.half().float())
    return model.eval()


def relative_errors(path, text):
    """Per position: |lowbit logits - PyTorch logits| / |PyTorch logits|."""
    model = pytorch_model(path)
    ids = lowbit._lowbit.byte_tokenize(text)
    with torch.no_grad():
        expected = model(torch.tensor([ids]))[0].numpy().astype(np.float64)
    got = lowbit.Model(path).logits(ids).astype(np.float64)
    assert got.shape == expected.shape
    return np.linalg.norm(got - expected, axis=1) / np.linalg.norm(expected, axis=1)


def test_exported_logits_equal_pytorch(exported):
    rel = relative_errors(exported, "The quick brown fox jumps over the lazy dog.")
    assert rel.max() < 1e-4, rel


def test_exported_logits_equal_pytorch_on_a_longer_text(exported):
    # Both sides quantize every projection's input to int8 per token; where
    # an activation lies within float rounding (~1e-7) of a rounding
    # boundary, the two float paths (PyTorch's ops, lowbit's kernels) can
    # round it to neighbouring integers, and that position's logits then
    # differ by ~1e-4..1e-3. Such positions are rare; all others agree to
    # ~1e-7.
    rel = relative_errors(exported, "To be, or not to be, that is the question: whether 'tis nobler in the mind "
                                    "to suffer the slings and arrows of outrageous fortune, or to take arms "
                                    "against a sea of troubles")
    assert np.median(rel) < 1e-6, rel
    assert np.mean(rel < 1e-4) >= 0.85, rel
    assert rel.max() < 1e-2, rel


def test_cli_generates_from_the_export(exported, lowbit_bin):
    run = subprocess.run([lowbit_bin, "generate", "-m", exported, "-p", "The ", "-n", "16", "--temp", "0"],
                         capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert len(run.stdout) > 1
