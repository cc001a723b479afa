"""lowbit.nn layers against the plain PyTorch formulas of reference.py:
forward values, gradients (the reference's autograd), eval == train bit for
bit, from_linear / replace_linear, and clear errors on bad inputs."""
import numpy as np
import pytest
import torch

import lowbit
import lowbit.nn as lnn
import reference as ref

torch.manual_seed(0)

# (name, lowbit layer factory, reference function, its keyword arguments)
CASES = [
    ("b158", lambda i, o: lnn.BitLinear158(i, o, bias=False), ref.bitlinear158, {}),
    ("b158_subln", lambda i, o: lnn.BitLinear158(i, o, bias=False, subln=True), ref.bitlinear158, {"subln": True}),
    ("hbit_a8", lambda i, o: lnn.HBitLinear(i, o, bias=False), ref.hbitlinear, {}),
    ("hbit_a4", lambda i, o: lnn.HBitLinear(i, o, bias=False, act_bits=4), ref.hbitlinear, {"act_bits": 4}),
    ("hbit_a8_subln", lambda i, o: lnn.HBitLinear(i, o, bias=False, subln=True), ref.hbitlinear, {"subln": True}),
    ("bitlinear_v1", lambda i, o: lnn.BitLinear(i, o, bias=False), ref.bitlinear_v1, {}),
    ("bitlinear_v1_g4_b4", lambda i, o: lnn.BitLinear(i, o, bias=False, groups=4, bits=4), ref.bitlinear_v1,
     {"groups": 4, "bits": 4}),
    ("bitlinear_v1_noln", lambda i, o: lnn.BitLinear(i, o, bias=False, layernorm=False), ref.bitlinear_v1,
     {"use_layernorm": False}),
    ("int8", lambda i, o: lnn.Int8Linear(i, o, bias=False), ref.int8_linear, {}),
    ("int8_nothreshold", lambda i, o: lnn.Int8Linear(i, o, bias=False, threshold=0.0), ref.int8_linear,
     {"threshold": 0.0}),
]
IDS = [c[0] for c in CASES]
IN, OUT, TOKENS = 256, 64, 5


def inputs(outliers=False):
    x = torch.randn(TOKENS, IN)
    if outliers:  # two columns above LLM.int8's threshold
        x[:, 3] *= 20
        x[:, 100] *= 15
    return x


def rel_err(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm()).item()


@pytest.mark.parametrize("name,make,reference,kw", CASES, ids=IDS)
def test_forward_matches_reference(name, make, reference, kw):
    layer = make(IN, OUT)
    x = inputs(outliers=name.startswith("int8"))
    y = layer(x)
    y_ref = reference(x, layer.weight.detach(), **kw)
    assert y.shape == (TOKENS, OUT) and y.dtype == torch.float32
    # Same quantized values; only the float rounding of the rescale differs.
    torch.testing.assert_close(y.double(), y_ref.detach(), rtol=1e-5, atol=1e-5 * y_ref.abs().max().item())


@pytest.mark.parametrize("name,make,reference,kw", CASES, ids=IDS)
def test_gradients_match_reference_autograd(name, make, reference, kw):
    layer = make(IN, OUT)
    x = inputs(outliers=name.startswith("int8")).requires_grad_(True)
    g = torch.randn(TOKENS, OUT)
    layer(x).backward(g)
    x_ref = x.detach().double().requires_grad_(True)
    w_ref = layer.weight.detach().double().requires_grad_(True)
    reference(x_ref, w_ref, **kw).backward(g.double())
    assert rel_err(x.grad, x_ref.grad) < 1e-5, name
    assert rel_err(layer.weight.grad, w_ref.grad) < 1e-5, name


@pytest.mark.parametrize("name,make,reference,kw", CASES, ids=IDS)
def test_eval_equals_train_bit_for_bit(name, make, reference, kw):
    layer = make(IN, OUT)
    x = inputs(outliers=name.startswith("int8"))
    y_train = layer.train()(x).detach()
    with torch.no_grad():
        y_eval = layer.eval()(x)
    assert torch.equal(y_train, y_eval), (y_train - y_eval).abs().max()


@pytest.mark.parametrize("make", [lambda: lnn.BitLinear158(2560, 2560, bias=False),
                                  lambda: lnn.HBitLinear(2560, 2560, bias=False, act_bits=4),
                                  lambda: lnn.BitLinear(2560, 2560, bias=False)], ids=["b158", "hbit_a4", "v1"])
def test_eval_equals_train_at_bench_shape(make):
    layer = make()
    x = torch.randn(3, 2560)
    y_train = layer(x).detach()
    with torch.no_grad():
        assert torch.equal(y_train, layer.eval()(x))


@pytest.mark.parametrize("act_bits", [4, 8])
def test_hbitlinear_width_not_a_power_of_two(act_bits):
    # 384 = 3 Hadamard blocks of 128 (the largest power of two dividing it).
    layer = lnn.HBitLinear(384, 32, bias=False, act_bits=act_bits)
    x = torch.randn(4, 384)
    y_ref = ref.hbitlinear(x, layer.weight.detach(), act_bits=act_bits).detach()
    torch.testing.assert_close(layer(x).double(), y_ref, rtol=1e-5, atol=1e-5 * y_ref.abs().max().item())


def test_eval_repacks_after_the_weight_changes():
    layer = lnn.BitLinear158(IN, OUT, bias=False).eval()
    x = inputs()
    with torch.no_grad():
        y0 = layer(x)
        layer.weight.mul_(-1)  # in place: the same storage, a new version
        y1 = layer(x)
    assert torch.equal(y1, -y0)


def test_bias_and_leading_dimensions():
    lin = torch.nn.Linear(IN, OUT)
    layer = lnn.BitLinear158.from_linear(lin)
    x = torch.randn(2, 3, IN)
    y = layer(x)
    assert y.shape == (2, 3, OUT)
    y_ref = ref.bitlinear158(x.reshape(-1, IN), lin.weight.detach()) + lin.bias.detach().double()
    torch.testing.assert_close(y.reshape(-1, OUT).double(), y_ref.detach(), rtol=1e-5, atol=1e-5)
    assert torch.equal(layer.bias, lin.bias) and torch.equal(layer.weight, lin.weight)


def test_replace_linear():
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(),
                                torch.nn.Sequential(torch.nn.Linear(32, 32)), torch.nn.Linear(32, 8))
    model.lm_head = torch.nn.Linear(8, 4)
    lnn.replace_linear(model, "hbitlinear", act_bits=4)
    assert isinstance(model[0], lnn.HBitLinear) and isinstance(model[2][0], lnn.HBitLinear)
    assert model[0].options.act_bits == 4
    assert type(model.lm_head) is torch.nn.Linear
    with pytest.raises(ValueError, match="unknown layer"):
        lnn.replace_linear(model, "ternary")


def test_training_reduces_a_loss():
    torch.manual_seed(1)
    layer = lnn.BitLinear158(64, 8)
    x, target = torch.randn(32, 64), torch.randn(32, 8)
    opt = torch.optim.Adam(layer.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(layer(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]


@pytest.mark.parametrize("layer_cls", [lnn.BitLinear, lnn.BitLinear158, lnn.HBitLinear, lnn.Int8Linear])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_bad_inputs_raise_clear_errors(layer_cls, mode):
    layer = getattr(layer_cls(IN, OUT), mode)()
    with pytest.raises(TypeError, match="float32"):
        layer(torch.randn(2, IN, dtype=torch.float64))
    with pytest.raises(ValueError, match="in_features is 256"):
        layer(torch.randn(2, IN + 1))
    with pytest.raises(ValueError, match="contiguous"):
        layer(torch.randn(IN, 4).t())
    with pytest.raises(ValueError, match="CPU"):
        layer(torch.empty(2, IN, device="meta"))
    with pytest.raises(TypeError, match="torch.Tensor"):
        layer([[0.0] * IN])


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="activation bits must be 4 or 8"):
        lnn.HBitLinear(IN, OUT, act_bits=3)
    with pytest.raises(ValueError, match="groups"):
        lnn.BitLinear(IN, OUT, groups=3)
    with pytest.raises(ValueError, match="threshold"):
        lnn.Int8Linear(IN, OUT, threshold=-1.0)
    # The C++ checks reach Python as LowbitError with the library's message.
    with pytest.raises(lowbit.LowbitError, match="activation bits must be 4 or 8"):
        lowbit._lowbit.linear_forward("hbitlinear", np.zeros((4, 8), np.float32), np.zeros((1, 8), np.float32),
                                      lowbit._lowbit.LinearOptions(act_bits=3))
    with pytest.raises(TypeError, match="torch.nn.Linear"):
        lnn.BitLinear158.from_linear(torch.nn.Conv1d(1, 1, 1))
    with pytest.raises(TypeError, match="float32"):
        lnn.Int8Linear(IN, OUT, dtype=torch.float16)


def test_deepcopy_and_save_load(tmp_path):
    import copy
    layer = lnn.HBitLinear(IN, OUT, act_bits=4).eval()
    x = inputs()
    with torch.no_grad():
        y = layer(x)  # packs
        twin = copy.deepcopy(layer)
        torch.save(layer, tmp_path / "layer.pt")
        loaded = torch.load(tmp_path / "layer.pt")
        assert torch.equal(twin(x), y) and torch.equal(loaded(x), y)
    assert loaded.options.act_bits == 4
