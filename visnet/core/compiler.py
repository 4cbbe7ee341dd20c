"""Graph -> Plan: the order of the layers, where every tensor lives, and the instructions that
run a forward pass, a loss, a backward pass and an update.

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

from . import layers
from .backends.cpu.activations import LINEAR
from .backends.cpu.config import PARALLEL_MIN_WORK
from .backends.cpu.conv import conv2d_geometry
from .backends.cpu import recurrent
from .backends.opcodes import FIELDS, WIDTH, Op, encode
from .errors import CompileError
from .graph import Graph
from .optim import HYPER_SIZE
from .shapes import check, infer_shapes

ACT_CODES = {name: i for i, name in enumerate(layers.ACTIVATIONS)}
# forward op, backward op, workspace shapes, gates
RECURRENT = {
    "SimpleRNN": (Op.RNN_FWD, Op.RNN_BWD, recurrent.simple_rnn_workspaces, 1),
    "LSTM": (Op.LSTM_FWD, Op.LSTM_BWD, recurrent.lstm_workspaces, 4),
    "GRU": (Op.GRU_FWD, Op.GRU_BWD, recurrent.gru_workspaces, 3),
}
STATS_SIZE = 4  # loss, correct, count, sum of absolute errors


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
        # Constants the kernels read: dropout rates, BatchNorm momentum and epsilon.
        self.constants: dict[str, tuple[int, np.ndarray]] = {}
        for node_id in order:
            node = graph.nodes[node_id]
            p = node.resolved_params()
            if node.type == "Dropout":
                self._constant(f"{node_id}/rate", [p["rate"]])
            elif node.type == "BatchNorm":
                self._constant(f"{node_id}/bn", [p["momentum"], p["epsilon"]])

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

    def __init__(self, graph: Graph, parallel: bool, optimizer_type: str = "adam"):
        infer_shapes(graph)  # raises GraphError naming every problem
        report = check(graph)
        self.graph = graph
        self.parallel = parallel
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
        act = node.resolved_params().get("activation" if node.type != "Activation" else "fn")
        if fold is None or act != fold or node.type not in ("Dense", "Activation"):
            return LossInfo(kind, feed, feed, False, target)
        if len(g.outputs_of(feed)) > 1:
            raise CompileError(f"{node.label} ends in a {fold} that feeds the {kind} loss and "
                               f"other layers too; the loss takes logits: give the loss its own "
                               f"branch, or remove the {fold}")
        source = feed if node.type == "Dense" else g.inputs_of(feed)[0].src
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

    def par(self, work: int) -> int:
        return int(self.parallel and work >= PARALLEL_MIN_WORK)

    def plan(self, batch: int) -> BatchPlan:
        return _Planner(self, batch).build()


def _recurrent_step_work(batch: int, gates: int, units: int) -> int:
    """Work of one time step of a recurrent layer, which decides whether its per-step loops
    run in parallel: a thread-pool launch every step costs more than it saves on small steps
    (an LSTM of 64 units at batch 64 ran 7.5 ms a step serially, 10.2 ms in parallel)."""
    return batch * gates * units * 4


def hash_id(text: str) -> int:
    """A stable 63-bit number for a node id (Python's hash() changes between processes)."""
    h = 1469598103934665603
    for b in text.encode():
        h = ((h ^ b) * 1099511628211) & 0x7FFFFFFFFFFFFFFF
    return h


class _Planner:
    def __init__(self, c: Compiled, batch: int):
        self.c = c
        self.g = c.graph
        self.batch = batch
        self.arena = _Arena()
        self.plan = BatchPlan(batch)
        self.written: set[int] = set()

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

    def build(self) -> BatchPlan:
        c, plan, B = self.c, self.plan, self.batch
        dummy = self.take(1)
        self.dummy = dummy
        for n in c.order:
            node = self.g.nodes[n]
            if node.type == "Loss":
                continue
            shape = c.shapes[n]
            src = [e.src for e in self.g.inputs_of(n)]
            if node.type in ("Flatten", "Reshape"):
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
        self.layer_buffers = {n: self._layer_buffers(n) for n in c.order}
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

    def _layer_buffers(self, n: str) -> dict[str, Region]:
        """Pre-activations, masks, saved statistics and workspaces of one layer."""
        node = self.g.nodes[n]
        p = node.resolved_params()
        c, B = self.c, self.batch
        shape = c.shapes[n]
        buf: dict[str, Region] = {}
        if node.type in ("Dense", "Conv2D"):
            linear = p["activation"] == "linear"
            buf["z"] = self.plan.out[n] if linear else self.take(B, *shape)
            if n in self.plan.grad:
                fused = c.loss.fused and c.loss.node == n
                buf["dz"] = (self.plan.grad[n] if linear or fused else self.take(B, *shape))
        if node.type == "Dense":
            x_shape = c.input_shapes[n][0]
            buf["dx_tmp"] = self.take(self.rows_of(x_shape), x_shape[-1])
        elif node.type == "Conv2D":
            ch = c.input_shapes[n][0][0]
            f, oh, ow = shape
            kh, kw = layers.pair(p["kernel_size"])
            buf["cols"] = self.take(ch * kh * kw, B * oh * ow)
            buf["out_t"] = self.take(f, B * oh * ow)
        elif node.type in RECURRENT:
            t, f = c.input_shapes[n][0]
            workspaces = RECURRENT[node.type][2](B, t, f, p["units"])
            buf.update({name: self.take(*ws) for name, ws in workspaces.items()})
        elif node.type == "Dropout":
            buf["mask"] = self.take(B, *shape)
        elif node.type == "BatchNorm":
            _, ch, _ = self._bn_view(n)
            buf["mean"] = self.take(ch)
            buf["invstd"] = self.take(ch)
            if n in self.plan.grad and not c.flows[self.g.inputs_of(n)[0].src]:
                buf["dx_scratch"] = self.take(B, *shape)
        return buf

    def _conv_geometry(self, n: str, p: dict) -> dict:
        ch, h, w = self.c.input_shapes[n][0]
        kh, kw = layers.pair(p["kernel_size"])
        sh, sw = layers.pair(p["strides"])
        oh, ow, top, left = conv2d_geometry(h, w, kh, kw, sh, sw, p["padding"])
        fields = dict(batch=self.batch, channels=ch, height=h, width=w, filters=p["filters"],
                      kh=kh, kw=kw, sh=sh, sw=sw, pad_top=top, pad_left=left, out_h=oh,
                      out_w=ow)
        return {"fields": fields, "work": self.batch * oh * ow * ch * kh * kw * p["filters"]}

    def _pool_fields(self, n: str, p: dict) -> dict:
        ch, h, w = self.c.input_shapes[n][0]
        _, oh, ow = self.c.shapes[n]
        ph, pw = layers.pair(p["pool_size"])
        sh, sw = layers.pair(p["strides"] if p["strides"] is not None else p["pool_size"])
        return dict(batch=self.batch, channels=ch, height=h, width=w, out_h=oh, out_w=ow,
                    ph=ph, pw=pw, sh=sh, sw=sw)

    def _bn_view(self, n: str) -> tuple[int, int, int]:
        shape = self.c.shapes[n]
        if len(shape) == 3:
            return self.batch, shape[0], shape[1] * shape[2]
        return self.rows_of(shape), shape[-1], 1

    def _act_view(self, shape: tuple[int, ...]) -> tuple[int, int, int]:
        """(outer, n, inner) such that softmax works over the feature axis: the last for flat
        and sequence outputs, the channels for images."""
        if len(shape) == 3:
            return self.batch, shape[0], shape[1] * shape[2]
        return self.rows_of(shape), shape[-1], 1

    # -- forward -----------------------------------------------------------------------------

    def _forward(self, training: int) -> list[np.ndarray]:
        ops = []
        for n in self.c.order:
            ops += self._forward_node(n, training)
        return ops

    def _forward_node(self, n: str, training: int) -> list[np.ndarray]:
        c, plan, B = self.c, self.plan, self.batch
        node = self.g.nodes[n]
        p = node.resolved_params()
        t = node.type
        if t in ("Input", "Loss", "Flatten", "Reshape"):
            return []
        src = [plan.out[e.src] for e in self.g.inputs_of(n)]
        out = plan.out[n]
        shape = c.shapes[n]
        buf = self.layer_buffers[n]
        P = c.params
        if t == "Dense":
            x_shape = c.input_shapes[n][0]
            rows, n_in, n_out = self.rows_of(x_shape), x_shape[-1], p["units"]
            has_bias = int(p["use_bias"])
            return [encode(Op.DENSE_FWD, x=src[0].offset, w_p=P.weights[f"{n}/kernel"].offset,
                           b_p=P.weights[f"{n}/bias"].offset if has_bias else 0,
                           z=buf["z"].offset, y=out.offset, rows=rows, n_in=n_in, n_out=n_out,
                           act=ACT_CODES[p["activation"]], has_bias=has_bias,
                           par=c.par(rows * n_out * 4))]  # threads share the bias/act pass
        if t == "Activation":
            o, m, inner = self._act_view(shape)
            return [encode(Op.ACT_FWD, z=src[0].offset, y=out.offset, outer=o, n=m, inner=inner,
                           code=ACT_CODES[p["fn"]], par=c.par(out.size * 8))]
        if t == "Dropout":
            return [encode(Op.DROPOUT_FWD, x=src[0].offset, y=out.offset,
                           mask=buf["mask"].offset, n=out.size,
                           rate_p=P.constant(f"{n}/rate"), seed=c._seeds[n],
                           training=training, par=c.par(out.size * 4))]
        if t == "Add":
            ops = [encode(Op.ADD2, a=src[0].offset, b=src[1].offset, y=out.offset, n=out.size,
                          par=c.par(out.size))]
            ops += [encode(Op.COPY, src=s.offset, dst=out.offset, n=out.size, acc=1,
                           par=c.par(out.size)) for s in src[2:]]
            return ops
        if t == "Concatenate":
            return self._concat(n, p, forward=True)
        if t == "Conv2D":
            g = self._conv_geometry(n, p)
            has_bias = int(p["use_bias"])
            ops = [encode(Op.CONV_FWD, x=src[0].offset, w_p=P.weights[f"{n}/kernel"].offset,
                          b_p=P.weights[f"{n}/bias"].offset if has_bias else 0,
                          cols=buf["cols"].offset, out_t=buf["out_t"].offset,
                          z=buf["z"].offset, has_bias=has_bias, par=c.par(g["work"]),
                          **g["fields"])]
            if p["activation"] != "linear":
                o, m, inner = self._act_view(shape)
                ops.append(encode(Op.ACT_FWD, z=buf["z"].offset, y=out.offset, outer=o, n=m,
                                  inner=inner, code=ACT_CODES[p["activation"]],
                                  par=c.par(out.size * 8)))
            return ops
        if t in ("MaxPool2D", "AvgPool2D"):
            op = Op.MAXPOOL_FWD if t == "MaxPool2D" else Op.AVGPOOL_FWD
            return [encode(op, x=src[0].offset, y=out.offset, par=c.par(src[0].size),
                           **self._pool_fields(n, p))]
        if t == "GlobalAvgPool2D":
            ch, h, w = c.input_shapes[n][0]
            return [encode(Op.GAP_FWD, x=src[0].offset, y=out.offset, batch=B, channels=ch,
                           height=h, width=w, par=c.par(src[0].size))]
        if t in RECURRENT:
            fwd, _, workspaces, gates = RECURRENT[t]
            steps, features = c.input_shapes[n][0]
            units = p["units"]
            names = workspaces(B, steps, features, units)
            extra = {"act": ACT_CODES[p["activation"]]} if t == "SimpleRNN" else {}
            return [encode(fwd, x=src[0].offset, w_p=P.weights[f"{n}/kernel"].offset,
                           u_p=P.weights[f"{n}/recurrent_kernel"].offset,
                           b_p=P.weights[f"{n}/bias"].offset, y=out.offset, batch=B,
                           steps=steps, features=features, units=units,
                           return_sequences=int(p["return_sequences"]),
                           par=c.par(_recurrent_step_work(B, gates, units)),
                           **{k: buf[k].offset for k in names if k in FIELDS[fwd]}, **extra)]
        if t == "BatchNorm":
            rows, ch, s = self._bn_view(n)
            return [encode(Op.BN_FWD, x=src[0].offset, y=out.offset,
                           gamma_p=P.weights[f"{n}/gamma"].offset,
                           beta_p=P.weights[f"{n}/beta"].offset,
                           mean_p=P.weights[f"{n}/moving_mean"].offset,
                           var_p=P.weights[f"{n}/moving_variance"].offset,
                           mean=buf["mean"].offset, invstd=buf["invstd"].offset, n=rows, c=ch,
                           s=s, hyper_p=P.constant(f"{n}/bn"),
                           training=training, par=c.par(out.size * 4))]
        raise CompileError(f"{node.label}: the compiler has no forward pass for {t} layers")

    def _concat(self, n: str, p: dict, forward: bool) -> list[np.ndarray]:
        c, plan = self.c, self.plan
        shape = c.shapes[n]
        ax = layers._concat_axis(p["axis"], len(shape))
        rows = self.batch * math.prod(shape[:ax])
        total = math.prod(shape[ax:])
        ops, offset = [], 0
        for e, in_shape in zip(self.g.inputs_of(n), c.input_shapes[n]):
            width = math.prod(in_shape[ax:])
            if forward:
                ops.append(encode(Op.CONCAT_FWD, x=plan.out[e.src].offset, y=plan.out[n].offset,
                                  rows=rows, width=width, total=total, offset=offset,
                                  par=c.par(rows * width)))
            elif e.src in plan.grad:
                dx = plan.grad[e.src]
                ops.append(encode(Op.CONCAT_BWD, dy=plan.grad[n].offset, dx=dx.offset,
                                  rows=rows, width=width, total=total, offset=offset,
                                  acc=self.acc(dx), par=c.par(rows * width)))
            offset += width
        return ops

    # -- loss --------------------------------------------------------------------------------

    def _logits(self) -> Region:
        loss = self.c.loss
        if loss.fused and self.g.nodes[loss.node].type == "Dense":
            return self.layer_buffers[loss.node]["z"]
        return self.plan.out[loss.source]

    def _dlogits(self) -> Region:
        loss = self.c.loss
        if loss.fused and self.g.nodes[loss.node].type == "Dense":
            dlogits = self.layer_buffers[loss.node].get("dz")
        else:
            dlogits = self.plan.grad.get(loss.source)
        # Nothing trainable lies behind the loss: it is still measured, into a scratch buffer.
        return dlogits if dlogits is not None else self.take(self._logits().size)

    def _loss_ops(self) -> list[np.ndarray]:
        c, plan = self.c, self.plan
        loss = c.loss
        logits, dlogits = self._logits(), self.dlogits
        acc = 0  # the loss writes the first gradient of the backward pass
        stats = c.params.stats
        if loss.kind == "cross_entropy":
            classes = c.shapes[loss.node][-1]
            rows = plan.output.size // classes
            return [encode(Op.LOSS_CE, logits=logits.offset, targets=plan.targets.offset,
                           dlogits=dlogits.offset, rows=rows, classes=classes, stats_p=stats,
                           acc=acc)]
        op = Op.LOSS_BCE if loss.kind == "binary_cross_entropy" else Op.LOSS_MSE
        names = ("logits", "dlogits") if op == Op.LOSS_BCE else ("pred", "dpred")
        return [encode(op, **{names[0]: logits.offset, names[1]: dlogits.offset},
                       targets=plan.targets.offset, n=plan.output.size, stats_p=stats, acc=acc)]

    # -- backward ----------------------------------------------------------------------------

    def _backward(self, training: int) -> list[np.ndarray]:
        # The loss op wrote its gradient first; the layers follow in reverse order.
        self.written = {self.dlogits.offset}
        ops = []
        for n in reversed(self.c.order):
            if n in self.c.reaches_loss and self.g.nodes[n].type != "Loss":
                ops += self._backward_node(n, training)
        return ops

    def _backward_node(self, n: str, training: int) -> list[np.ndarray]:
        c, plan = self.c, self.plan
        node = self.g.nodes[n]
        p = node.resolved_params()
        t = node.type
        edges = self.g.inputs_of(n)
        has_params = bool(node.layer.weight_specs(p))
        wants_dx = [e.src in plan.grad for e in edges]
        if t in ("Input", "Flatten", "Reshape") or not (has_params or any(wants_dx)):
            return []
        fused = c.loss.fused and c.loss.node == n
        buf = self.layer_buffers[n]
        P = c.params
        dy = plan.grad[n]
        x = plan.out[edges[0].src] if edges else None
        dx = plan.grad.get(edges[0].src, self.dummy) if edges else None
        if t == "Dense":
            x_shape = c.input_shapes[n][0]
            rows, n_in, n_out = self.rows_of(x_shape), x_shape[-1], p["units"]
            has_bias = int(p["use_bias"])
            act = LINEAR if fused else ACT_CODES[p["activation"]]
            grad_in = buf["dz"] if fused else dy
            need_dx = int(wants_dx[0])
            return [encode(Op.DENSE_BWD, x=x.offset, w_p=P.weights[f"{n}/kernel"].offset,
                           z=buf["z"].offset, y=plan.out[n].offset, dy=grad_in.offset,
                           dz=buf["dz"].offset, dx=dx.offset, dx_tmp=buf["dx_tmp"].offset,
                           dw_p=P.grad(f"{n}/kernel").offset,
                           db_p=P.grad(f"{n}/bias").offset if has_bias else 0,
                           rows=rows, n_in=n_in, n_out=n_out, act=act, has_bias=has_bias,
                           need_dx=need_dx, acc=self.acc(dx) if need_dx else 0,
                           par=c.par(rows * n_out * 4))]
        if t == "Activation":
            if fused or not wants_dx[0]:
                return []
            o, m, inner = self._act_view(c.shapes[n])
            return [encode(Op.ACT_BWD, z=x.offset, y=plan.out[n].offset, dy=dy.offset,
                           dz=dx.offset, outer=o, n=m, inner=inner, code=ACT_CODES[p["fn"]],
                           acc=self.acc(dx), par=c.par(dy.size * 8))]
        if t == "Dropout":
            return [encode(Op.DROPOUT_BWD, dy=dy.offset, mask=buf["mask"].offset, dx=dx.offset,
                           n=dy.size, training=training, acc=self.acc(dx),
                           par=c.par(dy.size * 4))]
        if t == "Add":
            return [encode(Op.COPY, src=dy.offset, dst=plan.grad[e.src].offset, n=dy.size,
                           acc=self.acc(plan.grad[e.src]), par=c.par(dy.size))
                    for e, wants in zip(edges, wants_dx) if wants]
        if t == "Concatenate":
            return self._concat(n, p, forward=False)
        if t == "Conv2D":
            ops = []
            if p["activation"] != "linear":
                o, m, inner = self._act_view(c.shapes[n])
                ops.append(encode(Op.ACT_BWD, z=buf["z"].offset, y=plan.out[n].offset,
                                  dy=dy.offset, dz=buf["dz"].offset, outer=o, n=m, inner=inner,
                                  code=ACT_CODES[p["activation"]], acc=0,
                                  par=c.par(dy.size * 8)))
            g = self._conv_geometry(n, p)
            has_bias = int(p["use_bias"])
            need_dx = int(wants_dx[0])
            ops.append(encode(Op.CONV_BWD, x=x.offset, w_p=P.weights[f"{n}/kernel"].offset,
                              dz=buf["dz"].offset, cols=buf["cols"].offset,
                              dz_t=buf["out_t"].offset, dx=dx.offset,
                              dw_p=P.grad(f"{n}/kernel").offset,
                              db_p=P.grad(f"{n}/bias").offset if has_bias else 0,
                              has_bias=has_bias, need_dx=need_dx,
                              acc=self.acc(dx) if need_dx else 0, par=c.par(g["work"]),
                              **g["fields"]))
            return ops
        if t == "MaxPool2D":
            return [encode(Op.MAXPOOL_BWD, x=x.offset, y=plan.out[n].offset, dy=dy.offset,
                           dx=dx.offset, acc=self.acc(dx), par=c.par(x.size),
                           **self._pool_fields(n, p))]
        if t == "AvgPool2D":
            return [encode(Op.AVGPOOL_BWD, dy=dy.offset, dx=dx.offset, acc=self.acc(dx),
                           par=c.par(x.size), **self._pool_fields(n, p))]
        if t == "GlobalAvgPool2D":
            ch, h, w = c.input_shapes[n][0]
            return [encode(Op.GAP_BWD, dy=dy.offset, dx=dx.offset, batch=self.batch,
                           channels=ch, height=h, width=w, acc=self.acc(dx),
                           par=c.par(x.size))]
        if t in RECURRENT:
            _, bwd, workspaces, gates = RECURRENT[t]
            steps, features = c.input_shapes[n][0]
            units = p["units"]
            names = workspaces(self.batch, steps, features, units)
            extra = {"act": ACT_CODES[p["activation"]]} if t == "SimpleRNN" else {}
            need_dx = int(wants_dx[0])
            return [encode(bwd, w_p=P.weights[f"{n}/kernel"].offset,
                           u_p=P.weights[f"{n}/recurrent_kernel"].offset, dy=dy.offset,
                           dx=dx.offset, dw_p=P.grad(f"{n}/kernel").offset,
                           du_p=P.grad(f"{n}/recurrent_kernel").offset,
                           db_p=P.grad(f"{n}/bias").offset, batch=self.batch, steps=steps,
                           features=features, units=units,
                           return_sequences=int(p["return_sequences"]), need_dx=need_dx,
                           acc=self.acc(dx) if need_dx else 0,
                           par=c.par(_recurrent_step_work(self.batch, gates, units)),
                           **{k: buf[k].offset for k in names if k in FIELDS[bwd]}, **extra)]
        if t == "BatchNorm":
            rows, ch, s = self._bn_view(n)
            # Its parameters need gradients even when nothing upstream does: dx then goes to
            # a scratch buffer.
            target = dx if wants_dx[0] else buf["dx_scratch"]
            return [encode(Op.BN_BWD, x=x.offset, dy=dy.offset,
                           gamma_p=P.weights[f"{n}/gamma"].offset, mean=buf["mean"].offset,
                           invstd=buf["invstd"].offset, dx=target.offset,
                           dgamma_p=P.grad(f"{n}/gamma").offset,
                           dbeta_p=P.grad(f"{n}/beta").offset, n=rows, c=ch, s=s,
                           training=training, acc=self.acc(target) if wants_dx[0] else 0,
                           par=c.par(dy.size * 4))]
        raise CompileError(f"{node.label}: the compiler has no backward pass for {t} layers")

    # -- update ------------------------------------------------------------------------------

    def _update(self) -> list[np.ndarray]:
        P = self.c.params
        n = P.n_trainable
        if n == 0:
            return []
        s1, s2 = P.state_offsets
        # Parallel only for large networks: 100,000 Adam updates take ~35 us serially and ~21 us
        # on two threads, a gain that busy cores easily take back.
        common = dict(w_p=0, g_p=P.grads_offset, s1_p=s1, n=n, hyper_p=P.hyper,
                      par=self.c.par(n // 2))
        kind = self.c.optimizer_type
        if kind == "sgd":
            update = encode(Op.SGD, **common)
        else:
            update = encode(Op.ADAM if kind in ("adam", "adamw") else Op.RMSPROP, s2_p=s2,
                            **common)
        # Trainable weights lie first in P, so one op updates them all.
        return [encode(Op.CLIP, g_p=P.grads_offset, n=n, hyper_p=P.clip, stats_p=P.grad_norm),
                update]


def _cat(*parts: list[np.ndarray]) -> np.ndarray:
    rows = [r for part in parts for r in part]
    if not rows:
        return np.zeros((0, WIDTH), np.int64)
    return np.stack(rows)
