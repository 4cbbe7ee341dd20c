"""An ONNX model as a drawing with its weights: each node of the ONNX graph becomes a layer, or
folds into one (MatMul + Add into a Dense, an activation into the layer before it, the
Transposes around a recurrent op or a 1-D convolution, the shape arithmetic exporters write
for a dynamic batch axis). Ops VisNet has no layer for are listed all at once, each with its
node name and op type, in one InteropError; nothing is half-imported.

The importer follows each ONNX tensor as a *value*: a VisNet layer's output in a layout (plain:
VisNet's own; "nct": a sequence as (batch, features, time); "tbf": time first; the pending
outputs of a recurrent op or a global pool), a constant array, or a shape computed from the
batch size (the batch stands as BATCH in such arrays).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import GraphError, InteropError
from ..graph import Graph
from ..layers import CATALOGUE, concat_axis
from ..layers.base import LEAKY_RELU_SLOPE
from ..layers.conv2d_transpose import crop
from ..layers.padding import pads as keras_pads
from ..layers.recurrent import _GATE_ORDER, reorder_gates

MAX_FILE_BYTES = 2 << 30  # protobuf's own limit
MAX_TENSOR_VALUES = 1 << 28  # 1 GiB of float32: far beyond what a drawing trains here
BATCH = -(1 << 40)  # the batch size in computed shapes
RNN_OPS = {"RNN": "SimpleRNN", "LSTM": "LSTM", "GRU": "GRU"}
RNN_ACTIVATIONS = {"Tanh": "tanh", "Relu": "relu", "Sigmoid": "sigmoid"}


@dataclass
class Value:
    """A tensor of the ONNX graph as the importer knows it."""

    kind: str  # "layer", "const", "gelu_part"
    node: str | None = None  # the VisNet node (kind "layer")
    layout: str = "plain"  # plain, nct, tbf, rnn_y, rnn_h, pooled4, pooled3
    array: np.ndarray | None = None  # kind "const"
    part: str = ""  # gelu_part: "scaled", "half", "erf", "erf1", "xerf1"
    source: str = ""  # gelu_part: the ONNX tensor gelu is applied to


@dataclass
class _State:
    graph: Graph = field(default_factory=Graph)
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, Value] = field(default_factory=dict)
    consumers: dict[str, int] = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)


def import_onnx(path) -> Any:
    """The drawing of an .onnx file, with its weights, as a visnet Document."""
    from ..fileformat import Document

    path = Path(path)
    model = _read(path)
    graph, weights = _Importer(model, path.name).run()
    return Document(graph, weights)


def _read(path: Path):
    import onnx
    from google.protobuf.message import DecodeError

    name = path.name
    if not path.is_file():
        raise InteropError(f"{name}: no such file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InteropError(f"{name}: {size / 2**30:.1f} GiB is larger than an ONNX file can be")
    data = path.read_bytes()
    try:
        model = onnx.ModelProto.FromString(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise InteropError(f"{name}: is not an ONNX model (truncated or not one at all): "
                           f"{exc}") from None
    if not model.graph.node or not model.graph.output:
        raise InteropError(f"{name}: is not an ONNX model with a graph (no nodes or no output)")
    for tensor in list(model.graph.initializer) + [
            a.t for n in model.graph.node for a in n.attribute if a.type == a.TENSOR]:
        _check_tensor(name, tensor)
    try:
        onnx.checker.check_model(model)
    except Exception as exc:  # the checker raises several types, all meaning "malformed"
        raise InteropError(f"{name}: is not a valid ONNX model: {str(exc).splitlines()[0]}") \
            from None
    return model


def _check_tensor(file: str, tensor) -> None:
    """Refuse a tensor too large, or whose data does not match its declared shape, before any
    array of it is made."""
    from onnx import TensorProto, helper

    dims = list(tensor.dims)
    if any(d < 0 for d in dims):
        raise InteropError(f"{file}: tensor {tensor.name!r} declares a negative size {dims}")
    count = math.prod(dims)
    if count > MAX_TENSOR_VALUES:
        raise InteropError(f"{file}: tensor {tensor.name!r} declares {count:,} values "
                           f"(shape {dims}); refused, more than {MAX_TENSOR_VALUES:,}")
    if tensor.data_location == TensorProto.EXTERNAL:
        raise InteropError(f"{file}: tensor {tensor.name!r} keeps its data in another file; "
                           "save the model with its data inside (onnx.save_model(..., "
                           "save_as_external_data=False))")
    if tensor.HasField("raw_data"):
        try:
            item = np.dtype(helper.tensor_dtype_to_np_dtype(tensor.data_type)).itemsize
        except (KeyError, TypeError):
            return
        if len(tensor.raw_data) != count * item:
            raise InteropError(f"{file}: tensor {tensor.name!r} declares shape {dims} but holds "
                               f"{len(tensor.raw_data)} bytes")


class _Importer:
    def __init__(self, model, file: str):
        from onnx import numpy_helper

        self.model = model
        self.file = file
        self.s = _State()
        self.to_array = numpy_helper.to_array
        g = model.graph
        for t in g.initializer:
            self.s.values[t.name] = Value("const", array=self.to_array(t))
        for node in g.node:
            for name in node.input:
                self.s.consumers[name] = self.s.consumers.get(name, 0) + 1
        for out in g.output:
            self.s.consumers[out.name] = self.s.consumers.get(out.name, 0) + 1

    # -- the walk ---------------------------------------------------------------------------

    def run(self) -> tuple[Graph, dict[str, np.ndarray]]:
        from onnx import helper

        g = self.model.graph
        opset = {o.domain or "ai.onnx": o.version for o in self.model.opset_import}
        for inp in g.input:
            if inp.name not in self.s.values:
                self._input(inp)
        for node in g.node:
            where = f"{node.name or '(unnamed)'} ({node.op_type}"
            if node.domain not in ("", "ai.onnx"):
                self.s.unsupported.append(f"{where}, domain {node.domain})")
                continue
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            handler = getattr(self, f"_op_{node.op_type}", None)
            if handler is None:
                self.s.unsupported.append(where + ")")
                continue
            try:
                ins = [self.s.values.get(n) if n else None for n in node.input]
                if any(v is None for n, v in zip(node.input, ins) if n):
                    continue  # fed by an op already listed as unsupported
                outs = handler(node, ins, attrs, opset.get("ai.onnx", 1))
            except (_Unsupported, GraphError) as exc:
                self.s.unsupported.append(f"{where}): {exc}")
                continue
            if outs is None:
                continue
            outs = outs if isinstance(outs, list) else [outs]
            for name, value in zip(node.output, outs):
                if name and value is not None:
                    self.s.values[name] = value
        if self.s.unsupported:
            raise InteropError(
                f"{self.file}: VisNet has no layer for {len(self.s.unsupported)} of its "
                f"operators: " + "; ".join(self.s.unsupported))
        if len(g.output) != 1:
            raise InteropError(f"{self.file}: has {len(g.output)} outputs; VisNet drawings "
                               "have one (the layer feeding the loss)")
        out = self._plain(self.s.values[g.output[0].name], "the model's output")
        self._add_loss(out)
        self._lay_out()
        return self.s.graph, self.s.weights

    def _input(self, inp) -> None:
        dims = [d.dim_value if d.HasField("dim_value") else None
                for d in inp.type.tensor_type.shape.dim]
        if len(dims) not in (2, 3, 4) or any(d is None or d < 1 for d in dims[1:]):
            raise InteropError(
                f"{self.file}: input {inp.name!r} has shape {dims}: VisNet takes (batch, "
                "features), (batch, time, features) or (batch, channels, height, width) with "
                "every axis but the batch of known size")
        node = self.s.graph.add("Input", shape=[int(d) for d in dims[1:]])
        self.s.values[inp.name] = Value("layer", node)

    def _add_loss(self, node: str) -> None:
        """The Loss VisNet exported with the model (its metadata), else one chosen from the
        output: cross_entropy after a softmax, binary_cross_entropy after a sigmoid, else mse."""
        params = self.s.graph.nodes[node].resolved_params()
        act = params.get("activation", params.get("fn"))
        kind = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy"}.get(act, "mse")
        props = {p.key: p.value for p in self.model.metadata_props}
        if props.get("visnet.loss") in CATALOGUE["Loss"].param_index["kind"].choices:
            kind = props["visnet.loss"]
        loss = self.s.graph.add("Loss", kind=kind)
        self.s.graph.connect(node, loss)

    def _lay_out(self) -> None:
        from ..layout import layered_layout

        for node_id, (x, y) in layered_layout(self.s.graph).items():
            self.s.graph.nodes[node_id].pos = (x, y)

    # -- helpers ------------------------------------------------------------------------------

    def _layer(self, type_name: str, sources: list[str], weights: dict | None = None,
               **params) -> str:
        t = CATALOGUE[type_name]
        node = self.s.graph.add(type_name, **t.check_params(params))
        for src in sources:
            self.s.graph.connect(src, node)
        for name, array in (weights or {}).items():
            self.s.weights[f"{node}/{name}"] = np.ascontiguousarray(array, np.float32)
        if node not in self._report().shapes:  # a shape rule refused its inputs
            problems = [p.message for p in self._report().problems if p.node_id == node]
            self.s.graph.remove(node)
            raise _Unsupported("; ".join(problems) or f"{type_name} does not fit here")
        return node

    def _report(self):
        from ..shapes import check

        return check(self.s.graph)

    def shape(self, node: str) -> tuple[int, ...]:
        return tuple(self._report().shapes[node])

    def _plain(self, v: Value, what: str) -> str:
        if v.kind != "layer":
            raise _Unsupported(f"{what} is not a layer's output")
        if v.layout != "plain":
            raise _Unsupported(f"{what} is in a layout VisNet has no layer for ({v.layout})")
        return v.node

    def _const(self, v: Value | None, what: str) -> np.ndarray:
        if v is None or v.kind != "const":
            raise _Unsupported(f"{what} must be a constant")
        return v.array

    def _single_use(self, name: str) -> bool:
        return self.s.consumers.get(name, 0) == 1

    def _activation(self, node_out: str, v: Value, fn: str, uses: int = 1) -> Value:
        """``fn`` after a value: folded into the layer that made it when that layer has a linear
        activation and nothing else reads its output, else an Activation layer."""
        if v.kind != "layer":
            raise _Unsupported("applied to a constant")
        node = self.s.graph.nodes[v.node]
        params = node.resolved_params()
        if (params.get("activation") == "linear" and self.s.consumers.get(node_out) == uses
                and fn in _activation_choices(node.type)):
            self.s.graph.set_params(v.node, activation=fn)
            return v
        if v.layout == "nct":
            raise _Unsupported("an activation of a transposed sequence")
        return Value("layer", self._layer("Activation", [self._plain(v, "its input")], fn=fn))

    # -- elementwise ------------------------------------------------------------------------

    def _elementwise(self, node, ins, fn):
        return self._activation(node.input[0], ins[0], fn)

    def _op_Relu(self, node, ins, attrs, opset):
        return self._elementwise(node, ins, "relu")

    def _op_Sigmoid(self, node, ins, attrs, opset):
        return self._elementwise(node, ins, "sigmoid")

    def _op_Tanh(self, node, ins, attrs, opset):
        return self._elementwise(node, ins, "tanh")

    def _op_Gelu(self, node, ins, attrs, opset):
        if attrs.get("approximate", b"none") not in (b"none", "none"):
            raise _Unsupported("the tanh approximation of gelu (VisNet's gelu is exact)")
        return self._elementwise(node, ins, "gelu")

    def _op_LeakyRelu(self, node, ins, attrs, opset):
        alpha = attrs.get("alpha", 0.01)
        if not math.isclose(alpha, LEAKY_RELU_SLOPE, rel_tol=1e-6):
            raise _Unsupported(f"alpha {alpha:g}; VisNet's leaky_relu has slope "
                               f"{LEAKY_RELU_SLOPE}")
        return self._elementwise(node, ins, "leaky_relu")

    def _op_Softmax(self, node, ins, attrs, opset):
        v = ins[0]
        rank = len(self.shape(v.node)) + 1 if v.kind == "layer" else 0
        axis = attrs.get("axis", -1 if opset >= 13 else 1)
        axis = axis + rank if axis < 0 else axis
        feature = 1 if rank == 4 else rank - 1
        if v.kind != "layer" or v.layout != "plain" or axis != feature or (
                opset < 13 and rank > 2):
            raise _Unsupported(f"softmax over axis {attrs.get('axis')}; VisNet's is over the "
                               "features (the channels of an image)")
        return self._elementwise(node, ins, "softmax")

    def _op_Identity(self, node, ins, attrs, opset):
        return ins[0]

    def _op_Dropout(self, node, ins, attrs, opset):
        return [ins[0], None]

    def _op_Cast(self, node, ins, attrs, opset):
        return ins[0]  # shape arithmetic, or a float tensor cast to float

    # erf-form gelu: x * 0.5 * (1 + erf(x / sqrt(2))), in the orders exporters write it

    def _op_Erf(self, node, ins, attrs, opset):
        v = ins[0]
        if v.kind == "gelu_part" and v.part == "scaled":
            return Value("gelu_part", node=v.node, source=v.source, part="erf", layout=v.layout)
        raise _Unsupported("erf other than in gelu")

    def _op_Div(self, node, ins, attrs, opset):
        a, b = ins
        if a.kind == "const" and b.kind == "const":
            return Value("const", array=_int_like(a.array / b.array, a.array))
        if a.kind == "layer" and b.kind == "const" and np.allclose(b.array, math.sqrt(2)):
            return Value("gelu_part", node=a.node, layout=a.layout, part="scaled",
                         source=node.input[0])
        raise _Unsupported("division other than in gelu")

    def _op_Mul(self, node, ins, attrs, opset):
        a, b = ins
        if a.kind == "const" and b.kind == "const":
            return Value("const", array=a.array * b.array)
        for x, y, x_name in ((a, b, node.input[0]), (b, a, node.input[1])):
            if x.kind == "layer" and y.kind == "const":
                if np.allclose(y.array, 1 / math.sqrt(2)):
                    return Value("gelu_part", node=x.node, layout=x.layout, part="scaled",
                                 source=x_name)
                if np.allclose(y.array, 0.5):
                    return Value("gelu_part", node=x.node, layout=x.layout, part="half",
                                 source=x_name)
            if x.kind == "layer" and y.kind == "gelu_part" and y.part == "erf1" \
                    and y.node == x.node:
                return Value("gelu_part", node=x.node, layout=x.layout, part="xerf1",
                             source=x_name)
            if x.kind == "gelu_part" and y.kind == "const" and x.part == "xerf1" \
                    and np.allclose(y.array, 0.5):
                return self._gelu(x)
            if x.kind == "gelu_part" and y.kind == "gelu_part" and x.part == "half" \
                    and y.part == "erf1" and x.node == y.node:
                return self._gelu(x)
        raise _Unsupported("multiplication other than in gelu")

    def _gelu(self, part: Value) -> Value:
        # x feeds both halves of the formula: two readers, both part of this gelu
        source = Value("layer", part.node, layout=part.layout)
        return self._activation(part.source, source, "gelu", uses=2)

    # -- arithmetic on layers, and shapes -----------------------------------------------------

    def _op_Add(self, node, ins, attrs, opset):
        a, b = ins
        if a.kind == "const" and b.kind == "const":
            return Value("const", array=a.array + b.array)
        for x, y, x_name in ((a, b, node.input[0]), (b, a, node.input[1])):
            if x.kind == "gelu_part" and x.part == "erf" and y.kind == "const" \
                    and np.allclose(y.array, 1):
                return Value("gelu_part", node=x.node, layout=x.layout, part="erf1",
                             source=x.source)
            if x.kind == "layer" and y.kind == "const":
                return self._bias(x, x_name, y.array)
        if a.kind == "layer" and b.kind == "layer":
            srcs = []
            for v, name in ((a, node.input[0]), (b, node.input[1])):
                src = self._plain(v, "an input of Add")
                n = self.s.graph.nodes[src]
                if n.type == "Add" and self._single_use(name):  # one Add of several inputs
                    srcs.extend(e.src for e in self.s.graph.inputs_of(src))
                    self.s.graph.remove(src)
                else:
                    srcs.append(src)
            return Value("layer", self._layer("Add", srcs))
        raise _Unsupported("an addition VisNet has no layer for")

    def _bias(self, x: Value, x_name: str, bias: np.ndarray) -> Value:
        """A constant added to a layer's output: that layer's bias when it has none yet."""
        node = self.s.graph.nodes[x.node]
        params = node.resolved_params()
        if node.type not in ("Dense",) or params["use_bias"] or not self._single_use(x_name) \
                or params["activation"] != "linear":
            raise _Unsupported("a constant added to a layer that cannot take it as its bias")
        units = params["units"]
        bias = np.asarray(bias, np.float32)
        if bias.size != units:
            raise _Unsupported(f"a bias of {bias.size} values added to {units} units")
        self.s.graph.set_params(x.node, use_bias=True)
        self.s.weights[f"{x.node}/bias"] = bias.reshape(units)
        return x

    def _last_step(self, node, v: Value, index: Value, axis: int) -> Value:
        """The last step of a recurrent layer's sequence (``y[:, -1]``): the layer returning
        its last state instead."""
        layer = self.s.graph.nodes[v.node]
        steps = self.shape(v.node)[0] if len(self.shape(v.node)) == 2 else None
        i = self._const(index, "the index")
        last = i.ndim == 0 and steps is not None and int(i) in (-1, steps - 1)
        if layer.type in RNN_OPS.values() and axis == 1 and last and \
                self.s.consumers.get(node.input[0]) == 1:
            self.s.graph.set_params(v.node, return_sequences=False)
            return Value("layer", v.node)
        raise _Unsupported("picking elements of a layer's output (other than a recurrent "
                           "layer's last step)")

    def _op_Constant(self, node, ins, attrs, opset):
        if "value" in attrs:
            return Value("const", array=self.to_array(attrs["value"]))
        for key in ("value_float", "value_int"):
            if key in attrs:
                return Value("const", array=np.array(attrs[key]))
        for key in ("value_floats", "value_ints"):
            if key in attrs:
                return Value("const", array=np.array(list(attrs[key])))
        raise _Unsupported("a constant of a kind VisNet does not read")

    def _op_Shape(self, node, ins, attrs, opset):
        v = ins[0]
        if v.kind != "layer":
            raise _Unsupported("the shape of a constant")
        shape = np.array([BATCH, *_onnx_shape(self, v)], np.int64)
        start, end = attrs.get("start", 0), attrs.get("end", None)
        return Value("const", array=shape[start:end])

    def _op_Gather(self, node, ins, attrs, opset):
        v = ins[0]
        if v.kind == "layer" and v.layout == "plain":
            return self._last_step(node, v, ins[1], attrs.get("axis", 0))
        data = self._const(ins[0], "Gather's data")
        idx = self._const(ins[1], "Gather's indices")
        return Value("const", array=np.take(data, idx.astype(np.int64), axis=attrs.get("axis", 0)))

    def _op_Unsqueeze(self, node, ins, attrs, opset):
        data = self._const(ins[0], "Unsqueeze's input")
        axes = attrs.get("axes") if opset < 13 else self._const(ins[1], "Unsqueeze's axes")
        out = data
        for a in sorted(int(a) for a in np.ravel(axes)):
            out = np.expand_dims(out, a if a >= 0 else a + out.ndim + 1)
        return Value("const", array=out)

    def _op_Concat(self, node, ins, attrs, opset):
        if all(v.kind == "const" for v in ins):
            return Value("const", array=np.concatenate([np.atleast_1d(v.array) for v in ins],
                                                       axis=attrs["axis"]))
        srcs = [self._plain(v, "an input of Concat") for v in ins]
        rank = len(self.shape(srcs[0])) + 1
        axis = attrs["axis"] + rank if attrs["axis"] < 0 else attrs["axis"]
        if axis == 0:
            raise _Unsupported("concatenation along the batch axis")
        concat_axis(axis, rank - 1)
        return Value("layer", self._layer("Concatenate", srcs,
                                          axis=-1 if axis == rank - 1 else axis))

    def _op_Slice(self, node, ins, attrs, opset):
        data = self._const(ins[0], "Slice's data")
        starts, ends = (self._const(v, "Slice's bounds") for v in ins[1:3])
        axes = self._const(ins[3], "Slice's axes") if len(ins) > 3 and ins[3] else \
            np.arange(len(starts))
        steps = self._const(ins[4], "Slice's steps") if len(ins) > 4 and ins[4] else \
            np.ones(len(starts), np.int64)
        index = [slice(None)] * data.ndim
        for s, e, a, st in zip(starts, ends, axes, steps):
            index[int(a)] = slice(int(s), int(min(e, np.iinfo(np.int64).max)), int(st))
        return Value("const", array=data[tuple(index)])

    def _op_ConstantOfShape(self, node, ins, attrs, opset):
        value = self.to_array(attrs["value"]) if "value" in attrs else np.zeros(1, np.float32)
        return Value("const", array=np.full((1,), value.ravel()[0]), part="of_shape")

    def _op_Expand(self, node, ins, attrs, opset):
        data = self._const(ins[0], "Expand's input")
        return Value("const", array=np.full((1,), data.ravel()[0]) if np.all(data == data.ravel()
                                                                            [0]) else data,
                     part="of_shape")

    # -- layers -------------------------------------------------------------------------------

    def _op_Gemm(self, node, ins, attrs, opset):
        x = self._plain(ins[0], "Gemm's input")
        if attrs.get("transA", 0) or attrs.get("alpha", 1.0) != 1.0 or \
                attrs.get("beta", 1.0) != 1.0:
            raise _Unsupported("transA, alpha or beta other than Dense's")
        w = self._const(ins[1], "Gemm's B")
        kernel = w.T if attrs.get("transB", 0) else w
        weights = {"kernel": kernel}
        if len(ins) > 2 and ins[2] is not None:
            weights["bias"] = np.broadcast_to(self._const(ins[2], "Gemm's C"),
                                              (kernel.shape[1],))
        return Value("layer", self._layer("Dense", [x], weights, units=int(kernel.shape[1]),
                                          use_bias=len(weights) > 1))

    def _op_MatMul(self, node, ins, attrs, opset):
        x = self._plain(ins[0], "MatMul's input")
        kernel = self._const(ins[1], "MatMul's second input")
        if kernel.ndim != 2:
            raise _Unsupported("a product with a tensor that is not a matrix")
        return Value("layer", self._layer("Dense", [x], {"kernel": kernel},
                                          units=int(kernel.shape[1]), use_bias=False))

    def _conv_common(self, attrs, ins, rank):
        if attrs.get("group", 1) != 1:
            raise _Unsupported("grouped convolution")
        if any(d != 1 for d in attrs.get("dilations", [1] * rank)):
            raise _Unsupported("dilated convolution")
        w = self._const(ins[1], "the kernel")
        bias = self._const(ins[2], "the bias") if len(ins) > 2 and ins[2] is not None else None
        return w, bias

    def _op_Conv(self, node, ins, attrs, opset):
        v = ins[0]
        if v.kind != "layer":
            raise _Unsupported("convolution of a constant")
        w, bias = self._conv_common(attrs, ins, self._const(ins[1], "the kernel").ndim - 2)
        weights = {"bias": bias} if bias is not None else {}
        if w.ndim == 4 and v.layout == "plain":
            _, h, wd = self.shape(v.node)
            kh, kw = w.shape[2:]
            strides = list(attrs.get("strides", [1, 1]))
            padding = _padding(attrs, [h, wd], [kh, kw], strides)
            node_id = self._layer("Conv2D", [v.node], {"kernel": w, **weights},
                                  filters=int(w.shape[0]), kernel_size=[int(kh), int(kw)],
                                  strides=[int(s) for s in strides], padding=padding,
                                  use_bias=bias is not None)
            return Value("layer", node_id)
        if w.ndim == 3 and v.layout == "nct":
            steps = self.shape(v.node)[0]
            k = int(w.shape[2])
            stride = list(attrs.get("strides", [1]))
            padding = _padding(attrs, [steps], [k], stride)
            node_id = self._layer("Conv1D", [v.node],
                                  {"kernel": w.transpose(2, 1, 0), **weights},
                                  filters=int(w.shape[0]), kernel_size=k, strides=int(stride[0]),
                                  padding=padding, use_bias=bias is not None)
            return Value("layer", node_id, layout="nct")
        raise _Unsupported(f"a {w.ndim - 2}-D convolution of a tensor laid out as VisNet "
                           "cannot convolve")

    def _op_ConvTranspose(self, node, ins, attrs, opset):
        x = self._plain(ins[0], "ConvTranspose's input")
        w, bias = self._conv_common(attrs, ins, 2)
        if w.ndim != 4 or "output_shape" in attrs:
            raise _Unsupported("a transposed convolution other than 2-D with pads")
        _, h, wd = self.shape(x)
        kh, kw = int(w.shape[2]), int(w.shape[3])
        strides = [int(s) for s in attrs.get("strides", [1, 1])]
        given = (list(attrs.get("pads", [0, 0, 0, 0])), list(attrs.get("output_padding", [0, 0])))
        for padding in ("valid", "same"):
            begin, end, extra = crop(h, wd, (kh, kw), strides, padding)
            if (begin + end, extra) == given:
                weights = {"kernel": w, **({"bias": bias} if bias is not None else {})}
                return Value("layer", self._layer(
                    "Conv2DTranspose", [x], weights, filters=int(w.shape[1]),
                    kernel_size=[kh, kw], strides=strides, padding=padding,
                    use_bias=bias is not None))
        raise _Unsupported(f"pads {given[0]} and output_padding {given[1]} are neither Keras' "
                           "'valid' nor 'same'")

    def _pool(self, node, ins, attrs, largest):
        v = ins[0]
        if attrs.get("ceil_mode", 0) or any(d != 1 for d in attrs.get("dilations", [1])):
            raise _Unsupported("ceil_mode or dilations")
        kernel = [int(k) for k in attrs["kernel_shape"]]
        strides = [int(s) for s in attrs.get("strides", [1] * len(kernel))]
        if not largest and any(attrs.get("pads", [0])) and attrs.get("count_include_pad", 0):
            raise _Unsupported("an average that counts the padding")
        kind = "Max" if largest else "Avg"
        if len(kernel) == 2 and v.kind == "layer" and v.layout == "plain":
            _, h, w = self.shape(v.node)
            padding = _padding(attrs, [h, w], kernel, strides)
            return Value("layer", self._layer(f"{kind}Pool2D", [v.node], pool_size=kernel,
                                              strides=strides, padding=padding))
        if len(kernel) == 1 and v.kind == "layer" and v.layout == "nct":
            steps = self.shape(v.node)[0]
            padding = _padding(attrs, [steps], kernel, strides)
            return Value("layer", self._layer(f"{kind}Pool1D", [v.node], pool_size=kernel[0],
                                              strides=strides[0], padding=padding),
                         layout="nct")
        raise _Unsupported("pooling of a tensor laid out as VisNet cannot pool")

    def _op_MaxPool(self, node, ins, attrs, opset):
        if len(node.output) > 1 and node.output[1]:
            raise _Unsupported("the indices output")
        return self._pool(node, ins, attrs, largest=True)

    def _op_AveragePool(self, node, ins, attrs, opset):
        return self._pool(node, ins, attrs, largest=False)

    def _op_GlobalAveragePool(self, node, ins, attrs, opset):
        v = ins[0]
        if v.kind == "layer" and v.layout == "plain" and len(self.shape(v.node)) == 3:
            return Value("layer", self._layer("GlobalAvgPool2D", [v.node]), layout="pooled4")
        if v.kind == "layer" and v.layout == "nct":
            return Value("layer", self._layer("GlobalAvgPool1D", [v.node]), layout="pooled3")
        raise _Unsupported("a global pool of a tensor that is not an image or a sequence")

    def _op_ReduceMean(self, node, ins, attrs, opset):
        v = ins[0]
        axes = attrs.get("axes")
        if axes is None and len(ins) > 1 and ins[1] is not None:
            axes = self._const(ins[1], "ReduceMean's axes")
        axes = sorted(int(a) for a in np.ravel(axes)) if axes is not None else None
        keep = attrs.get("keepdims", 1)
        if v.kind == "layer" and v.layout == "plain":
            rank = len(self.shape(v.node)) + 1
            axes = [a + rank if a < 0 else a for a in axes or []]
            if rank == 3 and axes == [1] and not keep:
                return Value("layer", self._layer("GlobalAvgPool1D", [v.node]))
            if rank == 4 and axes == [2, 3]:
                return Value("layer", self._layer("GlobalAvgPool2D", [v.node]),
                             layout="pooled4" if keep else "plain")
        raise _Unsupported("a mean over axes VisNet has no pooling layer for")

    def _op_Flatten(self, node, ins, attrs, opset):
        v = ins[0]
        if attrs.get("axis", 1) != 1:
            raise _Unsupported("flattening from an axis other than 1")
        if v.kind == "layer" and v.layout in ("pooled4", "pooled3"):
            return Value("layer", v.node)
        x = self._plain(v, "Flatten's input")
        if len(self.shape(x)) == 1:
            return Value("layer", x)
        return Value("layer", self._layer("Flatten", [x]))

    def _op_Reshape(self, node, ins, attrs, opset):
        v = ins[0]
        target = self._const(ins[1], "Reshape's shape").astype(np.int64).tolist()
        if v.kind != "layer":
            raise _Unsupported("reshaping a constant")
        current = list(_onnx_shape(self, v))
        if not target or target[0] not in (0, -1, BATCH):
            raise _Unsupported(f"target shape {target} does not keep the batch axis")
        rest = [current[i] if d == 0 else d for i, d in enumerate(target[1:])]
        rest = [-1 if d == BATCH else d for d in rest]
        if v.layout in ("pooled4", "pooled3"):
            if rest in ([-1], [current[0]]):
                return Value("layer", v.node)
            raise _Unsupported(f"reshaping a pooled tensor to {rest}")
        x = self._plain(v, "Reshape's input")
        known = [d for d in rest if d != -1]
        total = math.prod(current)
        resolved = [total // math.prod(known) if d == -1 else d for d in rest]
        if resolved == list(self.shape(x)):
            return Value("layer", x)
        if len(resolved) == 1:
            return Value("layer", self._layer("Flatten", [x]))
        return Value("layer", self._layer("Reshape", [x], target_shape=resolved))

    def _op_Squeeze(self, node, ins, attrs, opset):
        v = ins[0]
        axes = attrs.get("axes") if opset < 13 else (
            self._const(ins[1], "Squeeze's axes") if len(ins) > 1 and ins[1] else None)
        axes = sorted(int(a) for a in np.ravel(axes)) if axes is not None else None
        if v.kind == "const":
            return Value("const", array=np.squeeze(v.array, tuple(axes) if axes else None))
        if v.layout == "rnn_y" and axes == [1]:
            return Value("layer", v.node, layout="tbf")
        if v.layout == "rnn_h" and axes == [0]:
            return Value("layer", v.node)
        if v.layout == "pooled4" and axes in ([2, 3], [-2, -1], None):
            return Value("layer", v.node)
        if v.layout == "pooled3" and axes in ([2], [-1], None):
            return Value("layer", v.node)
        raise _Unsupported(f"squeezing axes {axes} of a layer's output")

    def _op_Transpose(self, node, ins, attrs, opset):
        v = ins[0]
        perm = list(attrs.get("perm", []))
        if v.kind == "const":
            return Value("const", array=np.transpose(v.array, perm or None))
        flips = {("plain", (0, 2, 1)): "nct", ("nct", (0, 2, 1)): "plain",
                 ("plain", (1, 0, 2)): "tbf", ("tbf", (1, 0, 2)): "plain"}
        sequence = v.kind == "layer" and (v.layout != "plain" or len(self.shape(v.node)) == 2)
        layout = flips.get((v.layout, tuple(perm))) if sequence else None
        if layout is None:
            raise _Unsupported(f"transposing {perm}; VisNet transposes only the time and "
                               "feature axes of sequences, around layers that need them")
        return Value("layer", v.node, layout=layout)

    def _op_BatchNormalization(self, node, ins, attrs, opset):
        v = ins[0]
        if attrs.get("training_mode", 0) or (len(node.output) > 1 and any(node.output[1:])):
            raise _Unsupported("batch normalisation in training mode")
        stats = [self._const(x, "the statistics") for x in ins[1:5]]
        params = dict(epsilon=float(attrs.get("epsilon", 1e-5)),
                      momentum=float(attrs.get("momentum", 0.9)))
        weights = dict(zip(("gamma", "beta", "moving_mean", "moving_variance"), stats))
        if v.kind == "layer" and v.layout == "nct":
            return Value("layer", self._layer("BatchNorm", [v.node], weights, **params),
                         layout="nct")
        x = self._plain(v, "BatchNormalization's input")
        if len(self.shape(x)) == 2:
            raise _Unsupported("batch normalisation of a sequence's time axis")
        return Value("layer", self._layer("BatchNorm", [x], weights, **params))

    def _op_LayerNormalization(self, node, ins, attrs, opset):
        x = self._plain(ins[0], "LayerNormalization's input")
        rank = len(self.shape(x)) + 1
        if attrs.get("axis", -1) not in (-1, rank - 1):
            raise _Unsupported("normalisation over more than the last axis")
        gamma = self._const(ins[1], "the scale")
        beta = self._const(ins[2], "the bias") if len(ins) > 2 and ins[2] is not None else \
            np.zeros_like(gamma)
        return Value("layer", self._layer("LayerNorm", [x], {"gamma": gamma, "beta": beta},
                                          epsilon=float(attrs.get("epsilon", 1e-5))))

    def _op_Resize(self, node, ins, attrs, opset):
        x = self._plain(ins[0], "Resize's input")
        mode = _text(attrs.get("mode", "nearest"))
        ctm = _text(attrs.get("coordinate_transformation_mode", "half_pixel"))
        near = _text(attrs.get("nearest_mode", "round_prefer_floor"))
        c, h, w = self.shape(x)
        scales = self._const(ins[2], "the scales") if len(ins) > 2 and ins[2] is not None \
            and ins[2].array.size else None
        if scales is None and len(ins) > 3 and ins[3] is not None:
            sizes = self._const(ins[3], "the sizes")
            scales = np.array(sizes[-2:], np.float64) / np.array([h, w])
            scales = np.array([1, 1, *scales])
        ok = scales is not None and np.allclose(scales[:2], 1) and np.allclose(
            scales[2:], np.round(scales[2:])) and mode == "nearest" and (
            ctm == "asymmetric" and near == "floor")
        if not ok:
            raise _Unsupported("resizing other than nearest-neighbour by whole factors")
        return Value("layer", self._layer("UpSampling2D", [x],
                                          size=[int(round(s)) for s in scales[2:]]))

    def _recurrent(self, node, ins, attrs, kind):
        v = ins[0]
        if v.kind != "layer" or v.layout != "tbf":
            raise _Unsupported("a recurrent op whose input is not a time-first sequence")
        if _text(attrs.get("direction", "forward")) != "forward" or attrs.get("layout", 0):
            raise _Unsupported("a bidirectional or reverse recurrent layer, or layout=1")
        if attrs.get("clip") or attrs.get("input_forget", 0):
            raise _Unsupported("clip or input_forget")
        if len(ins) > 4 and ins[4] is not None:
            raise _Unsupported("sequence lengths")
        for state in ins[5:7]:
            if state is not None and (state.kind != "const" or np.any(state.array)):
                raise _Unsupported("an initial state other than zeros")
        units = int(attrs["hidden_size"])
        gates = len(_GATE_ORDER[kind])
        w = self._const(ins[1], "W")[0]
        r = self._const(ins[2], "R")[0]
        b = self._const(ins[3], "B")[0] if len(ins) > 3 and ins[3] is not None else \
            np.zeros(2 * gates * units, np.float32)
        back = list(np.argsort(_GATE_ORDER[kind]))

        def keras(m):  # ONNX's gate blocks of the last axis back in Keras' order
            return reorder_gates(m, back)

        wb, rb = keras(b[:gates * units]), keras(b[gates * units:])
        params: dict[str, Any] = {"units": units}
        if kind == "SimpleRNN":
            acts = [_text(a) for a in attrs.get("activations", [b"Tanh"])]
            if acts[0] not in RNN_ACTIVATIONS:
                raise _Unsupported(f"activation {acts[0]}")
            params["activation"] = RNN_ACTIVATIONS[acts[0]]
        elif attrs.get("activations"):
            defaults = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"]}[kind]
            if [_text(a) for a in attrs["activations"]] != defaults:
                raise _Unsupported("gate activations other than sigmoid and tanh")
        if kind == "GRU" and not attrs.get("linear_before_reset", 0):
            raise _Unsupported("linear_before_reset=0 (the reset gate before the recurrent "
                               "product); VisNet's GRU applies it after, as Keras and PyTorch")
        bias = np.stack([wb, rb]) if kind == "GRU" else wb + rb
        sequences = bool(node.output[0]) and self.s.consumers.get(node.output[0], 0) > 0
        if sequences and any(self.s.consumers.get(n, 0) for n in node.output[1:] if n):
            raise _Unsupported("both the sequence and the last state used")
        params["return_sequences"] = sequences
        weights = {"kernel": keras(w.T), "recurrent_kernel": keras(r.T), "bias": bias}
        node_id = self._layer(kind, [v.node], weights, **params)
        return [Value("layer", node_id, layout="rnn_y"), Value("layer", node_id, layout="rnn_h"),
                Value("layer", node_id, layout="rnn_c")]

    def _op_RNN(self, node, ins, attrs, opset):
        return self._recurrent(node, ins, attrs, "SimpleRNN")

    def _op_LSTM(self, node, ins, attrs, opset):
        if len(ins) > 7 and ins[7] is not None:
            raise _Unsupported("peephole weights")
        return self._recurrent(node, ins, attrs, "LSTM")

    def _op_GRU(self, node, ins, attrs, opset):
        return self._recurrent(node, ins, attrs, "GRU")


class _Unsupported(Exception):
    """An ONNX node VisNet cannot take, with why."""


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _int_like(result: np.ndarray, like: np.ndarray) -> np.ndarray:
    return result.astype(like.dtype) if like.dtype.kind in "iu" else result


def _activation_choices(type_name: str) -> tuple[str, ...]:
    t = CATALOGUE[type_name]
    spec = t.param_index.get("activation")
    return spec.choices if spec is not None else ()


def _onnx_shape(imp: _Importer, v: Value) -> tuple[int, ...]:
    """The ONNX shape (without the batch axis) of a layer value in its layout."""
    shape = imp.shape(v.node)
    if v.layout == "nct":
        return (shape[1], shape[0])
    if v.layout == "pooled4":
        return (shape[0], 1, 1)
    if v.layout == "pooled3":
        return (shape[0], 1)
    return shape


def _padding(attrs: dict, sizes: list[int], kernel: list[int], strides: list[int]) -> str:
    """'valid' or 'same' for the pads an ONNX node gives, else _Unsupported."""
    auto = _text(attrs.get("auto_pad", "NOTSET"))
    if auto == "VALID":
        return "valid"
    if auto == "SAME_UPPER":
        return "same"
    if auto not in ("NOTSET", ""):
        raise _Unsupported(f"auto_pad {auto}")
    given = list(attrs.get("pads", [0] * 2 * len(sizes)))
    if not any(given):
        return "valid"
    same = [keras_pads(n, k, s, "same") for n, k, s in zip(sizes, kernel, strides)]
    if given == [b for b, _ in same] + [a for _, a in same]:
        return "same"
    raise _Unsupported(f"pads {given} are neither 'valid' nor Keras' 'same' for this size")
