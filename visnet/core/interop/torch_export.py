"""A drawing as a standalone PyTorch script: an ``nn.Module`` whose layers and forward mirror
the drawing (one attribute per layer with tensors, named after its type and node id), a loader
for the weights written beside it as ``.npz`` (never pickle), and the drawing's training settings
as a training loop to uncomment. Each layer type writes its own code (the ``export.torch`` of
its declaration, see visnet/core/layers/export.py)."""

from __future__ import annotations

import keyword
import os
import re
from pathlib import Path

import numpy as np

from ..errors import InteropError
from ..graph import Graph
from .exported import ExportPlan, plan_export

# Functions a layer's code may call, written into the script only when used.
HELPERS = {
    "avg_pool_same": '''
def avg_pool_same(x, kernel, stride, pads):
    """Average pooling with Keras' 'same' padding: pads = (left, right, top, bottom) around the
    image, and each window's mean is over its values inside the image only."""
    sums = F.avg_pool2d(F.pad(x, pads), kernel, stride, divisor_override=1)
    ones = F.pad(torch.ones_like(x[:1, :1]), pads)
    return sums / F.avg_pool2d(ones, kernel, stride, divisor_override=1)
''',
    "SimpleRNN": '''
class SimpleRNN(nn.Module):
    """Keras' SimpleRNN with any activation: h = act(x_t W^T + b_ih + h W_hh^T + b_hh)."""

    def __init__(self, features, units, activation, return_sequences):
        super().__init__()
        self.weight_ih = nn.Parameter(torch.empty(units, features))
        self.weight_hh = nn.Parameter(torch.empty(units, units))
        self.bias = nn.Parameter(torch.zeros(units))
        self.activation = activation
        self.return_sequences = return_sequences

    def forward(self, x):
        h = x.new_zeros(x.shape[0], self.weight_hh.shape[0])
        outputs = []
        for t in range(x.shape[1]):
            h = self.activation(x[:, t] @ self.weight_ih.T + h @ self.weight_hh.T + self.bias)
            outputs.append(h)
        return torch.stack(outputs, dim=1) if self.return_sequences else h
''',
}


class TorchLayer:
    """The context a layer's PyTorch hook writes its code with.

    ``ctx.module(code, **tensors)`` adds ``self.<name> = <code>`` to ``__init__`` and the given
    arrays to the weights file under ``<name>.<key>``, and returns ``self.<name>``;
    ``ctx.helper(name)`` asks for a function of HELPERS; ``ctx.inputs`` are the variable names
    of the layer's inputs in ``forward``. The hook returns the expression of the output."""

    def __init__(self, script: _Script, plan: ExportPlan, graph: Graph, node_id: str,
                 inputs: list[str]):
        node = graph.nodes[node_id]
        self.id = node_id
        self.type = node.type
        self.params = node.resolved_params()
        self.input_shapes = [tuple(s) for s in plan.input_shapes.get(node_id, [])]
        self.shape = tuple(plan.shapes[node_id])
        self.inputs = inputs
        self._s = script
        self._weights = plan.weights

    @property
    def x(self) -> str:
        return self.inputs[0]

    def weight(self, name: str) -> np.ndarray:
        return np.asarray(self._weights[f"{self.id}/{name}"], np.float32)

    def module(self, code: str, **tensors: np.ndarray) -> str:
        name = self._s.attribute(self.type, self.id)
        self._s.init.append(f"self.{name} = {code}")
        for key, value in tensors.items():
            self._s.tensors[f"{name}.{key}"] = np.ascontiguousarray(value)
        return f"self.{name}"

    def helper(self, name: str) -> str:
        self._s.helpers.add(name)
        return name


class _Script:
    def __init__(self):
        self.init: list[str] = []
        self.forward: list[str] = []
        self.tensors: dict[str, np.ndarray] = {}
        self.helpers: set[str] = set()
        self._taken: set[str] = set()

    def attribute(self, type_name: str, node_id: str) -> str:
        snake = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", type_name).lower()
        return self.unique(f"{snake}_{node_id}")

    def unique(self, stem: str) -> str:
        stem = re.sub(r"\W", "_", stem)
        if not stem or stem[0].isdigit() or keyword.iskeyword(stem):
            stem = f"v_{stem}"
        name, k = stem, 1
        while name in self._taken:
            k += 1
            name = f"{stem}_{k}"
        self._taken.add(name)
        return name


def _training_loop(graph: Graph, output_shape: tuple[int, ...], last_activation: str) -> str:
    s = graph.training
    opt = dict(s.optimizer)
    kind = opt.pop("type", "adam")
    lr = opt.pop("lr", 0.001)
    torch_opt = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}[kind]
    extra = ""
    if kind in ("adam", "adamw"):
        extra = (f", betas=({opt.get('beta_1', 0.9)}, {opt.get('beta_2', 0.999)}), "
                 f"eps={opt.get('epsilon', 1e-8)}")
    elif kind == "sgd":
        extra = f", momentum={opt.get('momentum', 0.0)}, nesterov={opt.get('nesterov', False)}"
    elif kind == "rmsprop":
        extra = f", alpha={opt.get('rho', 0.99)}, eps={opt.get('epsilon', 1e-8)}, " \
                f"momentum={opt.get('momentum', 0.0)}"
    if opt.get("weight_decay"):
        extra += f", weight_decay={opt['weight_decay']}"
    loss = next(n for n in graph.nodes.values() if n.type == "Loss").resolved_params()["kind"]
    if loss == "cross_entropy":  # classes on the channel axis of images and of time steps
        o = "out.transpose(1, 2)" if len(output_shape) == 2 else "out"
        expr = (f"F.nll_loss(torch.log({o}.clamp_min(1e-12)), yb.long())"
                if last_activation == "softmax" else f"F.cross_entropy({o}, yb.long())")
    elif loss == "binary_cross_entropy":
        expr = ("F.binary_cross_entropy(out, yb)" if last_activation == "sigmoid"
                else "F.binary_cross_entropy_with_logits(out, yb)")
    else:
        expr = "F.mse_loss(out, yb)"
    clip = opt.get("clipnorm")
    clip_line = f"\n#         nn.utils.clip_grad_norm_(model.parameters(), {clip})" if clip else ""
    setup = f"{kind}, batch {s.batch_size}, {s.epochs} epochs, loss {loss}"
    return f'''# Training as the drawing was set up ({setup}).
# Bring your data as tensors x, y and uncomment:
#
# model = load_weights(Net())  # or Net() to start afresh
# optimizer = torch.optim.{torch_opt}(model.parameters(), lr={lr}{extra})
# data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y),
#                                    batch_size={s.batch_size}, shuffle=True)
# model.train()
# for epoch in range({s.epochs}):
#     for xb, yb in data:
#         out = model(xb)
#         loss = {expr}
#         optimizer.zero_grad()
#         loss.backward(){clip_line}
#         optimizer.step()
#     print(epoch + 1, float(loss))
'''


def to_torch_script(graph: Graph, weights: dict[str, np.ndarray] | None, weights_file: str,
                    title: str = "drawing") -> tuple[str, dict[str, np.ndarray]]:
    """(the script's source, the tensors of its weights file by state-dict key)."""
    from ... import __version__

    plan = plan_export(graph, weights)
    unmapped = sorted({graph.nodes[n].type for n in plan.order
                       if graph.nodes[n].type != "Input"
                       and graph.nodes[n].layer.export.torch is None})
    if unmapped:
        raise InteropError(f"no PyTorch form for {', '.join(unmapped)}")
    script = _Script()
    names: dict[str, str] = {}
    for node_id in plan.inputs:
        names[node_id] = script.unique("x" if len(plan.inputs) == 1 else node_id)
    for node_id in plan.order:
        if node_id in names:
            continue
        ins = [names[e.src] for e in sorted(graph.inputs_of(node_id), key=lambda e: e.port)]
        ctx = TorchLayer(script, plan, graph, node_id, ins)
        expr = graph.nodes[node_id].layer.export.torch(ctx)
        names[node_id] = script.unique(node_id)
        node = graph.nodes[node_id]
        card = ", ".join(node.layer.card_lines(node.resolved_params()))
        script.forward.append(f"{names[node_id]} = {expr}  # {node.label}"
                              + (f": {card}" if card else ""))
    out = graph.nodes[plan.output]
    last_activation = out.resolved_params().get("activation", out.resolved_params().get("fn"))
    def batch_first(shape) -> str:
        return "(batch, " + ", ".join(str(d) for d in shape) + ")"

    shapes = ", ".join(f"{names[n]} {batch_first(plan.shapes[n])}" for n in plan.inputs)
    helpers = "".join(HELPERS[h] + "\n" for h in sorted(script.helpers))
    init = "\n".join(f"        {line}" for line in script.init) or "        pass"
    forward = "\n".join(f"        {line}" for line in script.forward)
    args = ", ".join(names[n] for n in plan.inputs)
    example = ", ".join(f"torch.zeros(2, *{tuple(plan.shapes[n])})" for n in plan.inputs)
    source = f'''"""{title}, exported from VisNet {__version__}: the network as a PyTorch module.

Input {shapes}; output {batch_first(plan.shapes[plan.output])}, what VisNet's predict gives.
The weights are in {weights_file}, beside this file; run this file to check that they load.
"""

from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

WEIGHTS = Path(__file__).with_name("{weights_file}")
{helpers}

class Net(nn.Module):
    def __init__(self):
        super().__init__()
{init}

    def forward(self, {args}):
{forward}
        return {names[plan.output]}


def load_weights(model: nn.Module, path=WEIGHTS) -> nn.Module:
    """The weights from the .npz file (plain arrays, no pickle), by state-dict key."""
    with np.load(path, allow_pickle=False) as saved:
        state = {{key: torch.from_numpy(saved[key]) for key in saved.files}}
    model.load_state_dict(state)
    return model


{_training_loop(graph, tuple(plan.shapes[plan.output]), last_activation)}

if __name__ == "__main__":
    model = load_weights(Net()).eval()
    with torch.no_grad():
        print(model({example}).shape)
'''
    return source, script.tensors


def export_torch(graph: Graph, weights: dict[str, np.ndarray] | None, path) -> tuple[Path, Path]:
    """Write the script to path and its weights to the .npz beside it; returns both paths."""
    path = Path(path)
    npz = path.with_suffix(".npz")
    source, tensors = to_torch_script(graph, weights, npz.name, title=path.stem)
    for target, write in ((npz, lambda f: np.savez(f, **tensors)),
                          (path, lambda f: f.write(source.encode()))):
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                write(f)
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
    return path, npz
