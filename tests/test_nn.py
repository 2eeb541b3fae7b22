"""nn: registration, names, Linear/MLP against PyTorch, state dicts and their error reports."""

import math

import numpy as np
import pytest

from tinygrad_edu import Tensor, nn


class TwoLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(3, 4, seed=0), nn.Linear(4, 2, seed=1))
        self.scale = Tensor(np.ones(2), requires_grad=True)
        self.offset = Tensor(np.zeros(2))  # no grad: a plain attribute, not a parameter

    def forward(self, x):
        return self.layers(x) * self.scale + self.offset


# ---- registration and names ---------------------------------------------------------------
def test_parameter_order_matches_torch_convention():
    # PyTorch lists a module's own parameters before its submodules' parameters.
    model = TwoLayer()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["scale", "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]


def test_parameters_are_named_with_their_qualified_names():
    model = TwoLayer()
    for name, p in model.named_parameters():
        assert p.name == name
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    assert [p.name for p in seq.parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_tensor_without_grad_and_none_are_not_parameters():
    model = TwoLayer()
    assert "offset" not in dict(model.named_parameters())
    lin = nn.Linear(2, 3, bias=False)
    assert lin.bias is None
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    model.scale = None
    assert "scale" not in dict(model.named_parameters())


def test_reassigned_parameter_keeps_its_place():
    model = TwoLayer()
    model.scale = Tensor(np.full(2, 2.0), requires_grad=True)
    names = [n for n, _ in model.named_parameters()]
    assert names[0] == "scale" and model.scale.name == "scale"
    lin = nn.Linear(2, 2)
    lin.weight = Tensor(np.eye(2), requires_grad=True)
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(2, 2, seed=0)
    seq = nn.Sequential(shared, nn.Tanh(), shared)
    assert len(list(seq.parameters())) == 2


def test_assignment_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = Tensor([1.0], requires_grad=True)

    with pytest.raises(AttributeError, match="super"):
        Broken()


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_zero_grad_to_none_and_to_zeros():
    lin = nn.Linear(3, 2, seed=0)
    lin(Tensor(np.ones((4, 3)))).sum().backward()
    assert lin.weight.grad is not None
    lin.zero_grad(set_to_none=False)
    assert np.all(lin.weight.grad.numpy() == 0) and lin.weight.grad.shape == (2, 3)
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None


def test_train_and_eval_set_the_flag_everywhere():
    model = TwoLayer()
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


# ---- Linear -----------------------------------------------------------------------------------
def test_linear_init_bounds_and_seeding():
    lin = nn.Linear(50, 40, seed=3)
    bound = 1 / math.sqrt(50)
    w, b = lin.weight.numpy(), lin.bias.numpy()
    assert w.shape == (40, 50) and b.shape == (40,)
    assert np.all(np.abs(w) <= bound) and np.all(np.abs(b) <= bound)
    assert w.max() > 0.9 * bound and w.min() < -0.9 * bound  # fills the interval
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01  # std of U(-a, a) is a / sqrt(3)
    same = nn.Linear(50, 40, seed=3)
    assert np.array_equal(same.weight.numpy(), w) and np.array_equal(same.bias.numpy(), b)
    assert not np.array_equal(nn.Linear(50, 40, seed=4).weight.numpy(), w)
    assert lin.weight.requires_grad and lin.weight.dtype == np.float64


def test_linear_init_bound_is_torchs():
    torch = pytest.importorskip("torch")
    init = torch.nn.init
    for fan_in in (1, 3, 50):
        weight = torch.empty(4, fan_in)
        gain = init.calculate_gain("leaky_relu", math.sqrt(5))
        torch_bound = gain * math.sqrt(3.0 / init._calculate_fan_in_and_fan_out(weight)[0])
        torch.manual_seed(0)
        tlin = torch.nn.Linear(fan_in, 400)
        assert tlin.weight.abs().max().item() <= torch_bound
        lin = nn.Linear(fan_in, 400, seed=0)
        assert math.isclose(torch_bound, 1 / math.sqrt(fan_in))
        assert np.abs(lin.weight.numpy()).max() <= torch_bound
        assert np.abs(lin.weight.numpy()).max() > 0.95 * torch_bound
        assert np.abs(lin.bias.numpy()).max() > 0.95 * torch_bound


def test_linear_float32():
    lin = nn.Linear(3, 2, seed=0, dtype=np.float32)
    assert lin.weight.dtype == np.float32 and lin.bias.dtype == np.float32


def test_linear_rejects_wrong_input_width():
    with pytest.raises(ValueError, match=r"last dimension is 3.*\(4, 2\)"):
        nn.Linear(3, 1)(Tensor(np.ones((4, 2))))


@pytest.mark.parametrize(
    "args, exc, text",
    [
        ((0, 2), ValueError, "in_features"),
        ((2, -1), ValueError, "out_features"),
        ((2.0, 1), TypeError, "in_features"),
        ((True, 1), TypeError, "in_features"),
    ],
)
def test_linear_bad_arguments(args, exc, text):
    with pytest.raises(exc, match=text):
        nn.Linear(*args)


def test_linear_matches_torch_forward_and_backward():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    lin = nn.Linear(4, 3, seed=1)
    tlin = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        tlin.weight.copy_(torch.from_numpy(lin.weight.numpy()))
        tlin.bias.copy_(torch.from_numpy(lin.bias.numpy()))
    x = rng.standard_normal((5, 4))
    g = rng.standard_normal((5, 3))
    xt = Tensor(x, requires_grad=True)
    out = lin(xt)
    out.backward(Tensor(g))
    xtt = torch.tensor(x, requires_grad=True)
    tout = tlin(xtt)
    tout.backward(torch.from_numpy(g))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(lin.weight.grad.numpy(), tlin.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(lin.bias.grad.numpy(), tlin.bias.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(xt.grad.numpy(), xtt.grad.numpy(), rtol=1e-12)


def test_linear_accepts_one_example():
    lin = nn.Linear(3, 2, seed=0)
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(lin(Tensor(x)).numpy(), lin.weight.numpy() @ x + lin.bias.numpy())


# ---- Sequential and MLP ------------------------------------------------------------------------
def test_mlp_structure_and_repr():
    mlp = nn.MLP([2, 8, 8, 1], activation="tanh", seed=0)
    kinds = [type(m).__name__ for m in mlp]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert [n for n, _ in mlp.named_parameters()] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "4.weight",
        "4.bias",
    ]
    assert repr(mlp) == (
        "MLP(\n"
        "  (0): Linear(in_features=2, out_features=8, bias=True)\n"
        "  (1): Tanh()\n"
        "  (2): Linear(in_features=8, out_features=8, bias=True)\n"
        "  (3): Tanh()\n"
        "  (4): Linear(in_features=8, out_features=1, bias=True)\n"
        ")"
    )
    assert mlp.sizes == [2, 8, 8, 1]
    assert len(mlp) == 5 and isinstance(mlp[1:3], nn.Sequential)


def test_mlp_activation_class_seeding_and_single_layer():
    a = nn.MLP([3, 5, 2], activation=nn.Sigmoid, seed=7)
    b = nn.MLP([3, 5, 2], activation=nn.Sigmoid, seed=7)
    assert isinstance(a[1], nn.Sigmoid)
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert np.array_equal(p.numpy(), q.numpy())
    assert not np.array_equal(a[0].weight.numpy(), a[2].weight.numpy()[:3, :3])
    assert [type(m).__name__ for m in nn.MLP([4, 1])] == ["Linear"]


def test_nested_names_inside_a_user_module():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.MLP([2, 3, 1], seed=0)

        def forward(self, x):
            return self.body(x)

    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"]
    assert [p.name for p in net.parameters()] == names
    assert "(body): MLP(" in repr(net)


@pytest.mark.parametrize(
    "kwargs, exc, text",
    [
        (dict(sizes=[3]), ValueError, "sizes"),
        (dict(sizes=[3, 0, 1]), ValueError, "sizes"),
        (dict(sizes="23"), TypeError, "sizes"),
        (dict(sizes=[2, 1], activation="gelu"), ValueError, "gelu"),
        (dict(sizes=[2, 1], activation=nn.ReLU()), TypeError, "activation"),
        (dict(sizes=[2, 1], activation=int), TypeError, "activation"),
    ],
)
def test_mlp_bad_arguments(kwargs, exc, text):
    with pytest.raises(exc, match=text):
        nn.MLP(**kwargs)


def test_sequential_rejects_a_class_instead_of_an_instance():
    with pytest.raises(TypeError, match="parentheses"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)


def test_mlp_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    mlp = nn.MLP([3, 6, 2], activation="relu", seed=2)
    tmlp = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2))
    tmlp = tmlp.double()
    tmlp.load_state_dict({k: torch.from_numpy(v) for k, v in mlp.state_dict().items()})
    x = rng.standard_normal((7, 3))
    g = rng.standard_normal((7, 2))
    out = mlp(Tensor(x))
    out.backward(Tensor(g))
    tout = tmlp(torch.from_numpy(x))
    tout.backward(torch.from_numpy(g))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    tparams = dict(tmlp.named_parameters())
    for name, p in mlp.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=1e-10)


# ---- state dicts ---------------------------------------------------------------------------------
def test_state_dict_is_an_ordered_copy_and_round_trips():
    a = nn.MLP([2, 4, 1], seed=0)
    b = nn.MLP([2, 4, 1], seed=1)
    sd = a.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    sd["0.weight"][...] = 99.0
    assert not np.any(a[0].weight.numpy() == 99.0)
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = Tensor(np.random.default_rng(0).standard_normal((5, 2)))
    assert np.array_equal(a(x).numpy(), b(x).numpy())


def test_load_state_dict_accepts_tensors_and_casts_to_the_parameter_dtype():
    lin = nn.Linear(2, 2, dtype=np.float32)
    lin.load_state_dict({"weight": Tensor(np.eye(2)), "bias": np.zeros(2)})
    assert lin.weight.dtype == np.float32 and np.array_equal(lin.weight.numpy(), np.eye(2))


def test_load_state_dict_reports_every_mismatch_and_changes_nothing():
    model = nn.MLP([2, 4, 1], seed=0)
    before = model.state_dict()
    bad = model.state_dict()
    del bad["0.bias"]
    bad["2.weight"] = np.zeros((3, 4))
    bad["extra.weight"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(bad)
    msg = str(info.value)
    assert "Error(s) in loading state_dict for MLP" in msg
    assert 'Missing key(s) in state_dict: "0.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in msg
    assert "size mismatch for 2.weight" in msg and "(3, 4)" in msg and "(1, 4)" in msg
    for k, v in model.state_dict().items():
        assert np.array_equal(v, before[k])


def test_load_state_dict_non_strict():
    model = nn.MLP([2, 4, 1], seed=0)
    sd = model.state_dict()
    del sd["0.bias"]
    sd["extra"] = np.zeros(1)
    result = model.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["extra"]
    sd["0.weight"] = np.zeros((1, 1))
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        model.load_state_dict(sd, strict=False)


def test_load_state_dict_rejects_non_mappings_and_non_numbers():
    lin = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="mapping"):
        lin.load_state_dict([np.zeros((1, 1))])
    with pytest.raises(RuntimeError, match="numeric"):
        lin.load_state_dict({"weight": np.array([["a"]]), "bias": np.zeros(1)})
