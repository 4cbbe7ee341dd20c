"""ONNX import: VisNet's own exports come back as the same network (every catalogue entry and
variant, every template), models written by torch.onnx.export import and predict as
onnxruntime does and then train, and bad files get one clear error."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
import torch.nn as nn

from interop_cases import assert_close, predict, template_case, template_names
from layer_harness import case_id, cases, harness_data, harness_graph, harness_weights
from visnet.core.errors import InteropError
from visnet.core.interop.onnx_export import export_onnx
from visnet.core.interop.onnx_import import import_onnx
from visnet.core.model import compile

CASES = [pytest.param(t, v, id=case_id(t, v)) for t, v in cases()]


@pytest.mark.parametrize("t, variant", CASES)
def test_every_layer_type_comes_back_from_its_export(t, variant, tmp_path):
    g, _ = harness_graph(t, variant)
    x, _ = harness_data(g)
    weights = harness_weights(g)
    doc = import_onnx(export_onnx(g, weights, tmp_path / "m.onnx"))
    assert_close(predict(doc.graph, doc.weights, x), predict(g, weights, x))
    types = sorted(n.type for n in doc.graph.nodes.values())
    if t.name not in ("Dropout", "Input", "Loss"):  # Dropout exports as nothing
        assert t.name in types


@pytest.mark.parametrize("name", template_names())
def test_every_template_comes_back_from_its_export(name, tmp_path):
    graph, weights, x = template_case(name)
    back = import_onnx(export_onnx(graph, weights, tmp_path / "m.onnx"))
    assert_close(predict(back.graph, back.weights, x), predict(graph, weights, x))
    original = sorted(n.type for n in graph.nodes.values() if n.type != "Dropout")
    assert sorted(n.type for n in back.graph.nodes.values()) == original


# --- models written by PyTorch ---------------------------------------------------------------

class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        y = torch.relu(self.bn(self.conv1(x)))
        y = torch.relu(self.conv2(y) + y)
        return torch.softmax(self.head(torch.flatten(self.pool(y), 1)), dim=1)


class Recurrent(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.rnn = cell(3, 5, batch_first=True)
        self.head = nn.Linear(5, 2)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


class SequenceOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(3, 4, batch_first=True)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return torch.sigmoid(self.head(self.rnn(x)[0]))


# name: (the module, its input shape, torch.onnx.export's options, a layer type to find)
TORCH_MODELS = {
    "mlp": (lambda: nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.GELU(),
                                  nn.Linear(8, 3), nn.Softmax(dim=1)), (4,), {}, "Dense"),
    # PyTorch folds an inference BatchNorm into the convolution before it...
    "cnn_bn_residual": (Residual, (1, 8, 8), {}, "Add"),
    # ...unless asked not to
    "cnn_bn_kept": (Residual, (1, 8, 8), {"do_constant_folding": False}, "BatchNorm"),
    "lstm": (lambda: Recurrent(nn.LSTM), (6, 3), {}, "LSTM"),
    "gru": (lambda: Recurrent(nn.GRU), (6, 3), {}, "GRU"),
    "gru_sequence": (SequenceOut, (6, 3), {}, "GRU"),
}


def torch_onnx(name, path):
    make, shape, options, _ = TORCH_MODELS[name]
    torch.manual_seed(0)
    net = make().eval()
    with torch.no_grad():  # BatchNorm statistics that are not the identity
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
    torch.onnx.export(net, (torch.zeros(2, *shape),), str(path), input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                      dynamo=False, **options)
    return shape


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning",
                            "ignore::torch.jit.TracerWarning")  # PyTorch's notes on exporting
@pytest.mark.parametrize("name", list(TORCH_MODELS))
def test_a_model_written_by_pytorch_imports_predicts_as_onnxruntime_and_trains(name, tmp_path):
    path = tmp_path / f"{name}.onnx"
    shape = torch_onnx(name, path)
    x = np.random.default_rng(1).standard_normal((7, *shape)).astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    expected = session.run(None, {"x": x})[0]
    doc = import_onnx(path)
    assert_close(predict(doc.graph, doc.weights, x), expected)
    assert TORCH_MODELS[name][3] in {n.type for n in doc.graph.nodes.values()}

    model = compile(doc.graph, backend="serial", seed=0)
    model.set_weights(doc.weights)
    out = model.predict(x)
    loss = [n for n in doc.graph.nodes.values() if n.type == "Loss"][0]
    kind = loss.resolved_params()["kind"]
    rng = np.random.default_rng(2)
    if kind == "cross_entropy":
        y = rng.integers(0, out.shape[-1], out.shape[:-1]).astype(np.float32)
    elif kind == "binary_cross_entropy":
        y = rng.integers(0, 2, out.shape).astype(np.float32)
    else:
        y = rng.standard_normal(out.shape).astype(np.float32)
    before = model.loss_and_grads(x, y, training=False)[0]
    for _ in range(20):
        model.train_step(x, y)
    after = model.loss_and_grads(x, y, training=False)[0]
    assert after < before


# --- what cannot be imported -------------------------------------------------------------------

def test_ops_without_a_layer_are_listed_all_at_once(tmp_path):
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Relu", ["x"], ["a"], name="first"),
             helper.make_node("NonMaxSuppression", ["a", "a"], ["b"], name="nms"),
             helper.make_node("Sin", ["a"], ["c"], name="wave"),
             helper.make_node("Magic", ["a"], ["y"], name="custom", domain="com.example")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, ["batch", 4])], [helper.make_tensor_value_info(
            "y", TensorProto.FLOAT, ["batch", 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.example", 1)])
    path = tmp_path / "odd.onnx"
    onnx.save_model(model, str(path))
    with pytest.raises(InteropError) as err:
        import_onnx(path)
    text = str(err.value)
    for fragment in ("nms (NonMaxSuppression", "wave (Sin", "custom (Magic, domain com.example"):
        assert fragment in text
    assert "3 of its operators" in text


def test_a_truncated_or_foreign_file_gets_a_clear_error(tmp_path):
    from visnet.core.graph import Graph

    g = Graph.sequential([4], ("Dense", {"units": 3}), loss="mse")
    good = export_onnx(g, harness_weights(g), tmp_path / "good.onnx").read_bytes()
    for name, data in (("cut.onnx", good[:len(good) // 2]), ("text.onnx", b"hello world"),
                       ("empty.onnx", b"")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(InteropError, match=name):
            import_onnx(tmp_path / name)
    with pytest.raises(InteropError, match="no such file"):
        import_onnx(tmp_path / "missing.onnx")


def test_a_huge_declared_tensor_is_refused_before_it_is_allocated(tmp_path):
    from onnx import TensorProto, helper

    big = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 20, 1 << 20],
                      raw_data=b"\0" * 16)  # declares 4 TiB, holds 16 bytes
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                             ["batch", 1 << 20])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                             ["batch", 1 << 20])],
                              initializer=[big])
    path = tmp_path / "huge.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(InteropError, match="refused"):
        import_onnx(path)
