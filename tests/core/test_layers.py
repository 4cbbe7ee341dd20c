"""One harness runs every layer type through the generic checks; a new type gets them for free."""

import json
import math

import numpy as np
import pytest

import visnet
from visnet.core import layers
from visnet.core.errors import ParamError
from visnet.core.initializers import init_layer

DESIGN_TYPES = {
    "Input", "Dense", "Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Flatten", "Reshape",
    "Conv1D", "MaxPool1D", "AvgPool1D", "GlobalAvgPool1D", "UpSampling2D", "Conv2DTranspose",
    "Dropout", "BatchNorm", "LayerNorm", "Activation", "SimpleRNN", "LSTM", "GRU", "Add",
    "Concatenate", "Loss",
}
ALL = [pytest.param(t, id=t.name) for t in layers.LAYER_TYPES]


def example(t):
    params = t.resolve(t.check_params(t.example[0]))
    return params, list(t.example[1])


def test_catalogue_holds_exactly_the_designed_types():
    assert set(layers.CATALOGUE) == DESIGN_TYPES


def test_every_type_sits_in_one_palette_category():
    groups = layers.by_category()
    placed = [t.name for ts in groups.values() for t in ts]
    assert sorted(placed) == sorted(DESIGN_TYPES)
    assert list(groups) == list(layers.CATEGORIES)


@pytest.mark.parametrize("t", ALL)
def test_defaults_are_valid_and_documented(t):
    for p in t.params:
        assert p.validate(p.default) == p.default
        assert p.help and p.describe_range()
    assert t.summary


@pytest.mark.parametrize("t", ALL)
def test_config_round_trips_through_a_file_dict(t):
    g = visnet.Graph()
    node_id = g.add(t.name, **t.example[0])
    again = visnet.Graph.from_dict(json.loads(json.dumps(g.to_dict())))
    assert again.node(node_id).params == g.node(node_id).params
    assert again.node(node_id).resolved_params() == t.resolve(t.check_params(t.example[0]))


@pytest.mark.parametrize("t", ALL)
def test_every_param_refuses_a_value_of_the_wrong_kind_and_quotes_it(t):
    for p in t.params:
        bad = {"bool": "yes", "choice": "nonsense", "int": 2.5, "float": "fast", "shape": [0],
               "size2": [1, 2, 3], "axis": 0}[p.kind]
        with pytest.raises(ParamError) as err:
            t.check_param(p.name, bad, "n7")
        assert repr(bad) in str(err.value) and "n7" in str(err.value)
        assert err.value.param == p.name


@pytest.mark.parametrize("t", ALL)
def test_unknown_param_is_refused_with_a_suggestion(t):
    name = (t.params[0].name + "s") if t.params else "units"
    with pytest.raises(ParamError, match="has no parameter"):
        t.check_param(name, 1, "n1")


@pytest.mark.parametrize("t", ALL)
def test_initialised_tensors_have_the_declared_shapes_and_float32(t):
    params, inputs = example(t)
    shapes = t.weight_shapes(params, inputs)
    tensors = init_layer(t, params, inputs, np.random.default_rng(0))
    assert {k: v.shape for k, v in tensors.items()} == shapes
    assert all(v.dtype == np.float32 and np.isfinite(v).all() for v in tensors.values())
    trainable, frozen = t.param_count(params, inputs)
    assert trainable + frozen == sum(math.prod(s) for s in shapes.values())


# How the output shape must relate to the parameter tensors, for the types written with Keras'
# layouts in mind (the layer harness checks every type's tensors against PyTorch's).
def _recurrent_rule(gates):
    def rule(x, out, w):
        assert w["kernel"] == (x[-1], gates * out[-1])
        assert w["recurrent_kernel"] == (out[-1], gates * out[-1])
    return rule


def _dense_rule(x, out, w):
    assert w["kernel"] == (x[-1], out[-1]) and w["bias"] == (out[-1],)


def _conv_rule(x, out, w):
    assert w["kernel"][:2] == (out[0], x[0]) and w["bias"] == (out[0],)


def _batch_norm_rule(x, out, w):
    assert all(s == (x[0],) for s in w.values()) and out == x


def _layer_norm_rule(x, out, w):
    assert all(s == (x[-1],) for s in w.values()) and out == x


WEIGHT_RULES = {"Dense": _dense_rule, "Conv2D": _conv_rule, "BatchNorm": _batch_norm_rule,
                "LayerNorm": _layer_norm_rule, "SimpleRNN": _recurrent_rule(1),
                "LSTM": _recurrent_rule(4), "GRU": _recurrent_rule(3)}


@pytest.mark.parametrize("t", [p for p in ALL if p.values[0].name in WEIGHT_RULES])
def test_shape_rule_agrees_with_the_parameter_shapes(t):
    params, inputs = example(t)
    out = t.output_shape(params, inputs)
    WEIGHT_RULES[t.name](inputs[0], out, t.weight_shapes(params, inputs))


# Keras' parameter-count formulas (GRU with reset_after=True, Keras' default).
def keras_count(name, i, u=None, k=None, c_out=None):
    return {
        "Dense": lambda: i * u + u,
        "Conv2D": lambda: k * k * i * c_out + c_out,
        "SimpleRNN": lambda: u * (i + u) + u,
        "LSTM": lambda: 4 * (u * (i + u) + u),
        "GRU": lambda: 3 * (u * (i + u) + 2 * u),
        "BatchNorm": lambda: 4 * i,
    }[name]()


@pytest.mark.parametrize("name, params, shape, expected", [
    ("Dense", {"units": 128}, (784,), keras_count("Dense", 784, 128)),
    ("Dense", {"units": 10}, (20, 7), keras_count("Dense", 7, 10)),
    ("Conv2D", {"filters": 32, "kernel_size": 3}, (16, 8, 8), keras_count("Conv2D", 16, k=3,
                                                                        c_out=32)),
    ("SimpleRNN", {"units": 128}, (32, 40), keras_count("SimpleRNN", 40, 128)),
    ("LSTM", {"units": 64}, (50, 10), keras_count("LSTM", 10, 64)),
    ("GRU", {"units": 64}, (50, 10), keras_count("GRU", 10, 64)),
    ("BatchNorm", {}, (16, 8, 8), keras_count("BatchNorm", 16)),
    ("BatchNorm", {}, (20,), keras_count("BatchNorm", 20)),
])
def test_parameter_counts_follow_keras(name, params, shape, expected):
    t = layers.get(name)
    assert sum(t.param_count(t.resolve(params), [shape])) == expected


def test_batchnorm_statistics_are_not_trainable():
    t = layers.get("BatchNorm")
    assert t.param_count(t.resolve({}), [(16, 8, 8)]) == (32, 32)


def test_dense_without_bias_has_no_bias_tensor():
    t = layers.get("Dense")
    assert t.weight_shapes(t.resolve({"units": 3, "use_bias": False}), [(4,)]) == {"kernel": (4, 3)}


def test_lstm_forget_gate_bias_starts_at_one():
    t = layers.get("LSTM")
    bias = init_layer(t, t.resolve({"units": 3}), [(5, 2)], np.random.default_rng(0))["bias"]
    assert bias.tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]


def test_recurrent_kernel_starts_orthogonal():
    t = layers.get("GRU")
    w = init_layer(t, t.resolve({"units": 4}), [(5, 2)], np.random.default_rng(0))
    r = w["recurrent_kernel"].astype(np.float64)
    np.testing.assert_allclose(r @ r.T, np.eye(4), atol=1e-5)


@pytest.mark.parametrize("name, params, shape, expected", [
    ("Conv2D", {"filters": 6, "kernel_size": 5}, (1, 28, 28), (6, 24, 24)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "padding": "same", "strides": 2}, (1, 7, 7),
     (6, 4, 4)),
    ("Conv2D", {"filters": 2, "kernel_size": [3, 1], "strides": [1, 2]}, (1, 5, 5), (2, 3, 3)),
    ("MaxPool2D", {"pool_size": 2}, (4, 7, 7), (4, 3, 3)),
    ("AvgPool2D", {"pool_size": 3, "strides": 1}, (4, 5, 5), (4, 3, 3)),
    ("MaxPool2D", {"pool_size": 2, "padding": "same"}, (4, 7, 6), (4, 4, 3)),
    ("AvgPool2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (1, 1, 5), (1, 1, 3)),
    ("MaxPool1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (7, 5), (4, 5)),
    ("AvgPool1D", {"pool_size": 4, "padding": "same"}, (2, 5), (1, 5)),
    ("Conv2DTranspose", {"filters": 6, "kernel_size": 3}, (2, 7, 7), (6, 15, 15)),
    ("Conv2DTranspose", {"filters": 6, "kernel_size": 3, "padding": "same"}, (2, 7, 7),
     (6, 14, 14)),
    ("Conv2DTranspose", {"filters": 1, "kernel_size": [2, 5], "strides": [3, 1]}, (2, 4, 4),
     (1, 12, 8)),
    ("Reshape", {"target_shape": [-1, 4]}, (2, 8), (4, 4)),
    ("Concatenate", {"axis": -1}, (3, 4), (3, 8)),
    ("LSTM", {"units": 7, "return_sequences": True}, (9, 2), (9, 7)),
])
def test_output_shapes(name, params, shape, expected):
    t = layers.get(name)
    inputs = [shape, shape] if t.variadic else [shape]
    assert t.output_shape(t.resolve(t.check_params(params)), inputs) == expected


def test_unknown_type_suggests_the_close_name():
    with pytest.raises(visnet.GraphError, match="did you mean 'Dense'"):
        layers.get("Dens")
