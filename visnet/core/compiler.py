"""Graph -> Plan: the order of the layers, where every tensor lives, and the instructions that
run a forward pass, a loss, a backward pass and an update.

Each layer type lowers itself (visnet.core.layers, the ``lowering`` of its declaration); this
module keeps what all of them share, and knows no backend.

Parameters, their gradients and optimizer state live in the arena P, laid out once per drawing;
activations, their gradients and workspaces live in the arena W, laid out per batch size (a new
batch size plans a new W, it never compiles a kernel). The compiler
- fuses bias and activation into the dense and convolution kernels, and a softmax (or sigmoid)
  right before a cross-entropy loss into the loss, which then reads the logits;
- lets Flatten and Reshape share their input's memory, so they cost nothing;
- skips the input gradient of layers that nothing trainable lies behind;
- lets the first gradient written into a buffer overwrite it and later ones add to it, so no
  buffer is ever cleared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .backends.opcodes import HYPER_SIZE, STATS_SIZE, WIDTH, Op, encode
from .errors import CompileError
from .graph import Graph
from .layers import LayerType
from .layers.lowering import Instructions
from .shapes import check, infer_shapes


@dataclass(frozen=True)
class Region:
    """A tensor: ``shape`` values from ``offset`` of an arena."""

    offset: int
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class _Arena:
    def __init__(self):
        self.size = 0

    def take(self, shape: tuple[int, ...]) -> Region:
        region = Region(self.size, tuple(int(d) for d in shape))
        self.size += region.size
        return region


class ParamLayout:
    """Where parameters, gradients, optimizer state, constants and statistics live in P."""

    def __init__(self, graph: Graph, order: list[str], input_shapes: dict[str, list[tuple]]):
        arena = _Arena()
        specs = []
        for node_id in order:
            node = graph.nodes[node_id]
            params = node.resolved_params()
            shapes = node.layer.weight_shapes(params, input_shapes.get(node_id, []))
            for w in node.layer.weight_specs(params):
                specs.append((f"{node_id}/{w.name}", shapes[w.name], w.trainable))
        self.weights: dict[str, Region] = {}
        for key, shape, trainable in sorted(specs, key=lambda s: not s[2]):  # trainable first
            self.weights[key] = arena.take(shape)
        self.trainable = [key for key, _, t in specs if t]
        self.n_trainable = sum(self.weights[k].size for k in self.trainable)
        self.grads_offset = arena.take((self.n_trainable,)).offset
        self.state_offsets = (arena.take((self.n_trainable,)).offset,
                              arena.take((self.n_trainable,)).offset)
        self.hyper = arena.take((HYPER_SIZE,)).offset
        self.clip = arena.take((1,)).offset
        self.stats = arena.take((STATS_SIZE,)).offset
        self.grad_norm = arena.take((1,)).offset
        self._arena = arena
        # Constants the kernels read (dropout rates, BatchNorm momentum and epsilon).
        self.constants: dict[str, tuple[int, np.ndarray]] = {}
        for node_id in order:
            node = graph.nodes[node_id]
            declare = node.layer.lowering.constants
            if declare is not None:
                for name, values in declare(node.resolved_params()).items():
                    self._constant(f"{node_id}/{name}", values)

    def grad(self, key: str) -> Region:
        w = self.weights[key]
        return Region(self.grads_offset + w.offset, w.shape)

    def _constant(self, name: str, values) -> None:
        values = np.asarray(values, np.float64).reshape(-1)
        self.constants[name] = (self._arena.take(values.shape).offset, values)

    def constant(self, name: str) -> int:
        return self.constants[name][0]

    @property
    def size(self) -> int:
        return self._arena.size


@dataclass
class BatchPlan:
    """The W layout and the programs for one batch size."""

    batch: int
    size: int = 0
    inputs: Region | None = None
    targets: Region | None = None
    output: Region | None = None  # what predict returns: the layer feeding the loss
    out: dict[str, Region] = field(default_factory=dict)
    grad: dict[str, Region] = field(default_factory=dict)
    programs: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class LossInfo:
    kind: str
    source: str  # the node whose output the loss reads (the logits, after any fusion)
    node: str  # the layer feeding the Loss node
    fused: bool  # a softmax/sigmoid of ``node`` is folded into the loss
    target_shape: tuple[int, ...]  # per sample: () for class indices, else the output shape


class Compiled:
    """Everything about a drawing that does not depend on the batch size."""

    def __init__(self, graph: Graph, optimizer_type: str = "adam"):
        report = check(graph)
        if not report.ok:
            infer_shapes(graph)  # raises GraphError naming every problem
        self.graph = graph
        self.optimizer_type = optimizer_type
        self.order = graph.topological_order()
        self.shapes = report.shapes
        self.input_shapes = report.input_shapes
        self.params = ParamLayout(graph, self.order, report.input_shapes)
        self.input_node = next(n for n in self.order if graph.nodes[n].type == "Input")
        self.loss_node = next(n for n in self.order if graph.nodes[n].type == "Loss")
        self.loss = self._loss_info()
        self.reaches_loss = self._reaches(self.loss_node)
        self.flows = self._flows()
        self._seeds = {n: (hash_id(n) & 0x7FFFFFFF) for n in self.order}

    def _loss_info(self) -> LossInfo:
        g = self.graph
        kind = g.nodes[self.loss_node].resolved_params()["kind"]
        feed = g.inputs_of(self.loss_node)[0].src
        node = g.nodes[feed]
        shape = self.shapes[feed]
        target = shape[:-1] if kind == "cross_entropy" else shape
        fold = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(kind)
        fusion = node.layer.lowering.fusion
        if fold is None or fusion is None or node.resolved_params()[fusion.param] != fold:
            return LossInfo(kind, feed, feed, False, target)
        if len(g.outputs_of(feed)) > 1:
            raise CompileError(f"{node.label} ends in a {fold} that feeds the {kind} loss and "
                               f"other layers too; the loss takes logits: give the loss its own "
                               f"branch, or remove the {fold}")
        source = feed if fusion.logits is not None else g.inputs_of(feed)[0].src
        return LossInfo(kind, source, feed, True, target)

    def _reaches(self, goal: str) -> set[str]:
        seen = {goal}
        stack = [goal]
        while stack:
            for e in self.graph.inputs_of(stack.pop()):
                if e.src not in seen:
                    seen.add(e.src)
                    stack.append(e.src)
        return seen

    def _flows(self) -> dict[str, bool]:
        """Whether a gradient must reach a node's output: something trainable lies behind it."""
        flows: dict[str, bool] = {}
        for n in self.order:
            node = self.graph.nodes[n]
            own = bool(node.layer.weight_specs(node.resolved_params())) and n in self.input_shapes
            flows[n] = own or any(flows[e.src] for e in self.graph.inputs_of(n))
        return flows

    def plan(self, batch: int) -> BatchPlan:
        return _Planner(self, batch).build()


def hash_id(text: str) -> int:
    """A stable 63-bit number for a node id (Python's hash() changes between processes)."""
    h = 1469598103934665603
    for b in text.encode():
        h = ((h ^ b) * 1099511628211) & 0x7FFFFFFFFFFFFFFF
    return h


class _NodeContext:
    """One node as its layer's lowering sees it (visnet.core.layers.lowering.LayerContext)."""

    def __init__(self, planner: _Planner, node_id: str, training: int = 0):
        c, plan = planner.c, planner.plan
        self._planner = planner
        self._c = c
        self.node_id = node_id
        node = c.graph.nodes[node_id]
        self.params = node.resolved_params()
        self.shape = c.shapes.get(node_id, ())
        self.input_shapes = c.input_shapes.get(node_id, [])
        self.batch = planner.batch
        self.training = training
        self.fused = c.loss.fused and c.loss.node == node_id
        self.seed = c._seeds[node_id]
        self._sources = [e.src for e in c.graph.inputs_of(node_id)]
        self.inputs = [plan.out[s] for s in self._sources]
        self.out = plan.out.get(node_id)
        self.buf = planner.layer_buffers.get(node_id, {})
        self.wants_dx = [s in plan.grad for s in self._sources]

    @property
    def dy(self) -> Region:
        return self._planner.plan.grad[self.node_id]

    def dx(self, i: int = 0) -> Region:
        return self._planner.plan.grad.get(self._sources[i], self._planner.dummy)

    def take(self, *shape: int) -> Region:
        return self._planner.take(*shape)

    def acc(self, region: Region) -> int:
        return self._planner.acc(region)

    def weight(self, name: str) -> int:
        return self._c.params.weights[f"{self.node_id}/{name}"].offset

    def grad(self, name: str) -> int:
        return self._c.params.grad(f"{self.node_id}/{name}").offset

    def constant(self, name: str) -> int:
        return self._c.params.constant(f"{self.node_id}/{name}")

    def has_grad(self) -> bool:
        return self.node_id in self._planner.plan.grad

    def rows_of(self, shape: tuple[int, ...]) -> int:
        return self._planner.rows_of(shape)

    def feature_view(self, shape: tuple[int, ...]) -> tuple[int, int, int]:
        """(outer, n, inner): the feature axis in the middle, the last axis for flat and
        sequence tensors and the channels for images (softmax's axis, BatchNorm's)."""
        if len(shape) == 3:
            return self.batch, shape[0], shape[1] * shape[2]
        return self.rows_of(shape), shape[-1], 1


class _Planner:
    def __init__(self, c: Compiled, batch: int):
        self.c = c
        self.g = c.graph
        self.batch = batch
        self.arena = _Arena()
        self.plan = BatchPlan(batch)
        self.written: set[int] = set()
        self.layer_buffers: dict[str, dict[str, Region]] = {}

    # -- buffers -----------------------------------------------------------------------------

    def take(self, *shape: int) -> Region:
        return self.arena.take(shape)

    def acc(self, region: Region) -> int:
        """0 for the first gradient written into a buffer in a pass, 1 (add) after."""
        if region.offset in self.written:
            return 1
        self.written.add(region.offset)
        return 0

    def rows_of(self, shape: tuple[int, ...]) -> int:
        return self.batch * math.prod(shape[:-1]) if shape else self.batch

    def layer(self, n: str) -> LayerType:
        return self.g.nodes[n].layer

    def build(self) -> BatchPlan:
        c, plan, B = self.c, self.plan, self.batch
        self.dummy = self.take(1)
        for n in c.order:
            layer = self.layer(n)
            if not layer.has_output:
                continue
            shape = c.shapes[n]
            src = [e.src for e in self.g.inputs_of(n)]
            if layer.lowering.view:  # the input's memory, seen in this shape
                plan.out[n] = Region(plan.out[src[0]].offset, (B, *shape))
                if src[0] in plan.grad:
                    plan.grad[n] = Region(plan.grad[src[0]].offset, (B, *shape))
                continue
            plan.out[n] = self.take(B, *shape)
            if c.flows[n] and n in c.reaches_loss:
                plan.grad[n] = self.take(B, *shape)
        plan.inputs = plan.out[c.input_node]
        loss = c.loss
        plan.output = plan.out[loss.node]
        plan.targets = self.take(B, *loss.target_shape)
        for n in c.order:
            make = self.layer(n).lowering.buffers
            if make is not None:
                self.layer_buffers[n] = make(_NodeContext(self, n))
        self.dlogits = self._dlogits()

        forward = {t: self._forward(training=t) for t in (0, 1)}
        loss_ops = self._loss_ops()
        backward = {t: self._backward(training=t) for t in (0, 1)}
        update = self._update()
        plan.size = self.arena.size
        P = plan.programs
        P["infer"] = _cat(forward[0])
        P["evaluate"] = _cat(forward[0], loss_ops)
        P["grads"] = _cat(forward[1], loss_ops, backward[1])
        P["grads_infer"] = _cat(forward[0], loss_ops, backward[0])
        P["train"] = _cat(forward[1], loss_ops, backward[1], update)
        return plan

    # -- forward and backward ----------------------------------------------------------------

    def _forward(self, training: int) -> Instructions:
        ops = []
        for n in self.c.order:
            lower = self.layer(n).lowering.forward
            if lower is not None:
                ops += lower(_NodeContext(self, n, training))
        return ops

    def _backward(self, training: int) -> Instructions:
        # The loss op wrote its gradient first; the layers follow in reverse order.
        self.written = {self.dlogits.offset}
        ops = []
        for n in reversed(self.c.order):
            lower = self.layer(n).lowering.backward
            if lower is None or n not in self.c.reaches_loss:
                continue
            ctx = _NodeContext(self, n, training)
            has_params = bool(self.layer(n).weight_specs(ctx.params))
            if has_params or any(ctx.wants_dx):  # else no gradient is wanted from it
                ops += lower(ctx)
        return ops

    # -- loss --------------------------------------------------------------------------------

    def _fusion_buffer(self, which: str) -> Region | None:
        """The logits' buffer (which="logits") or their gradient's ("gradient") when the
        fused layer keeps them in buffers of its own, else None."""
        loss = self.c.loss
        if not loss.fused:
            return None
        fusion = self.layer(loss.node).lowering.fusion
        name = getattr(fusion, which)
        return self.layer_buffers[loss.node].get(name) if name is not None else None

    def _logits(self) -> Region:
        own = self._fusion_buffer("logits")
        return own if own is not None else self.plan.out[self.c.loss.source]

    def _dlogits(self) -> Region:
        fused = self.c.loss.fused and self._fusion_buffer("logits") is not None
        dlogits = (self._fusion_buffer("gradient") if fused
                   else self.plan.grad.get(self.c.loss.source))
        # Nothing trainable lies behind the loss: it is still measured, into a scratch buffer.
        return dlogits if dlogits is not None else self.take(self._logits().size)

    def _loss_ops(self) -> Instructions:
        c = self.c
        lower = self.layer(c.loss_node).lowering.loss
        return lower(_NodeContext(self, c.loss_node), self._logits(), self.dlogits,
                     self.plan.targets, c.params.stats)

    # -- update ------------------------------------------------------------------------------

    def _update(self) -> Instructions:
        P = self.c.params
        n = P.n_trainable
        if n == 0:
            return []
        s1, s2 = P.state_offsets
        common = dict(w_p=0, g_p=P.grads_offset, s1_p=s1, n=n, hyper_p=P.hyper)
        kind = self.c.optimizer_type
        if kind == "sgd":
            update = encode(Op.SGD, **common)
        else:
            update = encode(Op.ADAM if kind in ("adam", "adamw") else Op.RMSPROP, s2_p=s2,
                            **common)
        # Trainable weights lie first in P, so one op updates them all.
        return [encode(Op.CLIP, g_p=P.grads_offset, n=n, hyper_p=P.clip, stats_p=P.grad_norm),
                update]


def _cat(*parts: Instructions) -> np.ndarray:
    rows = [r for part in parts for r in part]
    if not rows:
        return np.zeros((0, WIDTH), np.int64)
    return np.stack(rows)
