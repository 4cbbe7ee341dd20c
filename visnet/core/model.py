"""A compiled, trainable network: the Model of the public API.

The Model keeps its parameters in the backend's P arena and a W arena per batch size, and runs the
compiled programs there. All numbers cross to the host only through the backend, so the same
Model drives the CPU and the GPU.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from .backends import get_backend
from .backends.base import Backend
from .compiler import BatchPlan, Compiled
from .graph import Graph
from .initializers import init_graph
from .optim import STEP_SLOT, Optimizer

MAX_PLANS = 4  # W arenas kept for recent batch sizes (training, last batch, evaluation...)
PREDICT_BATCH = 256


class Model:
    """Create with visnet.compile(graph, backend=..., seed=...)."""

    def __init__(self, graph: Graph, backend: Backend, seed: int = 0,
                 optimizer: dict[str, Any] | None = None):
        self.graph = graph.copy()
        self.backend = backend
        self.dtype = np.dtype(getattr(backend, "dtype", np.float32))
        self.seed = seed
        self.optimizer = Optimizer(dict(optimizer or self.graph.training.optimizer))
        self.compiled = Compiled(self.graph, self.optimizer.type)
        self._input_shape = self.compiled.shapes[self.compiled.input_node]
        layout = self.compiled.params
        self.P = backend.zeros(layout.size)
        for offset, values in layout.constants.values():
            backend.write(self.P, offset, values)
        self._plans: OrderedDict[int, tuple[BatchPlan, Any, dict[str, Any]]] = OrderedDict()
        self._last: tuple[BatchPlan, Any] | None = None  # the plan and W of the last run
        self._hyper: tuple[float, ...] | None = None  # the hyper-parameters last written
        self._kept: tuple[Any, Any, int, int] | None = None  # keep_data's arrays, row sizes
        self.set_weights(init_graph(self.graph, seed))

    # -- plans -------------------------------------------------------------------------------

    def _planned(self, batch: int, program: str) -> tuple[BatchPlan, Any, Any]:
        if self._plans and next(reversed(self._plans)) == batch:  # the same as last time
            plan, W, prepared = self._plans[batch]
            if program in prepared:
                return plan, W, prepared[program]
        if batch not in self._plans:
            plan = self.compiled.plan(batch)
            self._plans[batch] = (plan, self.backend.zeros(plan.size), {})
            while len(self._plans) > MAX_PLANS:
                self._plans.popitem(last=False)
        self._plans.move_to_end(batch)
        plan, W, prepared = self._plans[batch]
        if program not in prepared:
            prepared[program] = self.backend.prepare(plan.programs[program])
        return plan, W, prepared[program]

    def _feed(self, plan: BatchPlan, W: Any, x: np.ndarray, y: np.ndarray | None) -> None:
        self.backend.write(W, plan.inputs.offset, x)
        if y is not None:
            self.backend.write(W, plan.targets.offset, self._targets(y, len(x)))

    def _targets(self, y: np.ndarray, n: int) -> np.ndarray:
        loss = self.compiled.loss
        want = (n, *loss.target_shape)
        if isinstance(y, np.ndarray) and y.shape == want:
            return y  # the usual case: writing casts it
        y = np.asarray(y)
        out_shape = (n, *self.compiled.shapes[loss.node])
        if loss.kind == "cross_entropy" and y.shape == out_shape:
            y = y.argmax(axis=-1)  # one-hot or probabilities: their classes
        if y.shape != want and y.size == int(np.prod(want)):
            y = y.reshape(want)
        if y.shape != want:
            raise ValueError(f"targets have shape {y.shape} but the {loss.kind} loss needs "
                             f"{want}" + (" (class indices)" if loss.kind == "cross_entropy"
                                          else ""))
        return y

    def _check_x(self, x: np.ndarray) -> np.ndarray:
        if not isinstance(x, np.ndarray) or x.dtype != self.dtype:
            x = np.asarray(x, dtype=self.dtype)
        if x.shape[1:] != self._input_shape:
            raise ValueError(f"inputs have shape {x.shape} but the Input expects (N, "
                             f"{', '.join(map(str, self._input_shape))})")
        return x

    def _run(self, program: str, x: np.ndarray, y: np.ndarray | None = None) -> BatchPlan:
        plan, W, prog = self._planned(len(x), program)
        self._feed(plan, W, x, y)
        return self._execute(plan, W, prog)

    def _execute(self, plan: BatchPlan, W: Any, prog: Any) -> BatchPlan:
        self.backend.run(prog, self.P, W, self.optimizer.step)
        self._last = (plan, W)
        return plan

    def _stats(self) -> dict[str, float]:
        loss, correct, count, absolute = self.backend.read(self.P, self.compiled.params.stats,
                                                           (4,)).tolist()
        out = {"loss": loss}
        if self.compiled.loss.kind == "mse":
            out["mae"] = float(absolute / max(count, 1))
        else:
            out["accuracy"] = float(correct / max(count, 1))
        return out

    # -- public ------------------------------------------------------------------------------

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.compiled.shapes[self.compiled.loss.node]

    @property
    def outputs_probabilities(self) -> bool:
        """Whether predict returns probabilities (the layer before the loss ends in a sigmoid
        or softmax) rather than logits or values."""
        p = self.graph.nodes[self.compiled.loss.node].resolved_params()
        return p.get("activation", p.get("fn")) in ("sigmoid", "softmax")

    def predict(self, x: np.ndarray, batch_size: int = PREDICT_BATCH) -> np.ndarray:
        """The output of the layer feeding the loss, for inputs x : (N, *input_shape)."""
        x = self._check_x(x)
        parts = []
        for start in range(0, len(x), batch_size):
            plan = self._run("infer", x[start:start + batch_size])
            parts.append(self.backend.read(self._last[1], plan.output.offset, plan.output.shape))
        if not parts:
            return np.zeros((0, *self.output_shape), np.float32)
        return np.concatenate(parts)

    def train_step(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """One optimizer step on a batch; returns the batch's loss and accuracy (or MAE)."""
        x = self._check_x(x)
        self._write_hyper()
        self._run("train", x, y)
        self.optimizer.step += 1
        return self._stats()

    def keep_data(self, x: np.ndarray, y: np.ndarray) -> bool:
        """Keep a training set where the kernels run (GPU memory), when the backend has such a
        place and it fits; ``train_rows`` then trains on its rows without copying each batch
        from the host. Returns whether the data is kept."""
        self._kept = None
        if not self.backend.keeps_data:
            return False
        x = self._check_x(x)
        source_x = self.backend.upload(x)
        if source_x is None:
            return False
        targets = np.asarray(self._targets(y, len(x)), self.dtype)
        source_y = self.backend.upload(targets)
        if source_y is None:
            return False
        self._kept = (source_x, source_y, x[0].size if len(x) else 0,
                      targets[0].size if len(targets) else 0)
        return True

    def train_rows(self, rows: np.ndarray) -> dict[str, float]:
        """``train_step`` on rows of the data given to ``keep_data``, in that order."""
        if self._kept is None:
            raise RuntimeError("train_rows needs keep_data first")
        source_x, source_y, x_size, y_size = self._kept
        self._write_hyper()
        plan, W, prog = self._planned(len(rows), "train")
        self.backend.gather(source_x, rows, x_size, W, plan.inputs.offset)
        self.backend.gather(source_y, rows, y_size, W, plan.targets.offset)
        self._execute(plan, W, prog)
        self.optimizer.step += 1
        return self._stats()

    def _write_hyper(self) -> None:
        hyper = (*self.optimizer.hyper(), self.optimizer.clipnorm)
        if hyper != self._hyper:  # written when they change, not every step
            self.backend.write(self.P, self.compiled.params.hyper, np.array(hyper[:-1]))
            self.backend.write(self.P, self.compiled.params.clip, np.array(hyper[-1:]))
            self._hyper = hyper

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray,
                       training: bool = True) -> tuple[float, dict[str, np.ndarray]]:
        """The mean loss on a batch and its gradient for every trainable tensor (keyed like the
        weights). training=False uses dropout's and BatchNorm's inference behaviour."""
        x = self._check_x(x)
        self._run("grads" if training else "grads_infer", x, y)
        return self._stats()["loss"], self.gradients()

    def evaluate(self, x: np.ndarray, y: np.ndarray,
                 batch_size: int = PREDICT_BATCH) -> dict[str, float]:
        """Mean loss and accuracy (or MAE) over a dataset, in inference mode."""
        x = self._check_x(x)
        totals: dict[str, float] = {}
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            self._run("evaluate", xb, yb)
            for k, v in self._stats().items():
                totals[k] = totals.get(k, 0.0) + v * len(xb)
        return {k: v / max(len(x), 1) for k, v in totals.items()}

    def gradients(self) -> dict[str, np.ndarray]:
        """The gradients of the last backward pass."""
        layout = self.compiled.params
        return {k: self.backend.read(self.P, layout.grad(k).offset, layout.grad(k).shape)
                for k in layout.trainable}

    def get_weights(self) -> dict[str, np.ndarray]:
        return {k: self.backend.read(self.P, r.offset, r.shape)
                for k, r in self.compiled.params.weights.items()}

    def set_weights(self, weights: dict[str, np.ndarray], strict: bool = True) -> None:
        """Replace weights; strict requires every tensor, otherwise the given ones are set."""
        layout = self.compiled.params.weights
        unknown = sorted(set(weights) - set(layout))
        missing = sorted(set(layout) - set(weights))
        if unknown or (strict and missing):
            raise ValueError(f"weights do not fit this network: unknown {unknown[:3]}, "
                             f"missing {missing[:3]}")
        for key, value in weights.items():
            value = np.asarray(value)
            if value.shape != layout[key].shape:
                raise ValueError(f"weight {key!r} has shape {value.shape} but the network "
                                 f"needs {layout[key].shape}")
            self.backend.write(self.P, layout[key].offset, value)

    # -- optimizer state ---------------------------------------------------------------------

    def get_optimizer_state(self) -> dict[str, Any]:
        layout = self.compiled.params
        n = layout.n_trainable
        return {"config": dict(self.optimizer.config), "step": self.optimizer.step,
                "slots": [self.backend.read(self.P, off, (n,)) for off in layout.state_offsets]}

    def set_optimizer_state(self, state: dict[str, Any]) -> None:
        layout = self.compiled.params
        slots = state["slots"]
        if len(slots) != 2 or any(np.shape(s) != (layout.n_trainable,) for s in slots):
            raise ValueError("optimizer state does not fit this network")
        self.optimizer = Optimizer(dict(state["config"]), int(state["step"]))
        for off, values in zip(layout.state_offsets, slots):
            self.backend.write(self.P, off, np.asarray(values, np.float32))
        self._write_step()
        if self.optimizer.type != self.compiled.optimizer_type:
            self._recompile_update()

    def set_optimizer(self, config: dict[str, Any]) -> None:
        """Change optimizer settings between steps; the state carries on (and restarts only if
        the type changes)."""
        old = self.optimizer.type
        self.optimizer.update_config(**config)
        self._hyper = None
        if self.optimizer.type != old:
            self.optimizer.step = 0
            for off in self.compiled.params.state_offsets:
                self.backend.write(self.P, off, np.zeros(self.compiled.params.n_trainable))
            self._recompile_update()

    def _write_step(self) -> None:
        self.backend.write(self.P, self.compiled.params.hyper + STEP_SLOT,
                           np.array([float(self.optimizer.step)]))
        self._hyper = None

    def _recompile_update(self) -> None:
        self.compiled.optimizer_type = self.optimizer.type
        self._plans.clear()
        self._write_step()

    # -- what the live panels read -----------------------------------------------------------

    def activations(self, x: np.ndarray | None = None,
                    nodes: list[str] | None = None) -> dict[str, np.ndarray]:
        """Outputs of layers for inputs x (inference), or of the last batch run when x is None."""
        if x is not None:
            self._run("infer", self._check_x(x))
        if self._last is None:
            return {}
        plan, W = self._last
        nodes = nodes or list(plan.out)
        return {n: self.backend.read(W, plan.out[n].offset, plan.out[n].shape)
                for n in nodes if n in plan.out}

    def gradient_norms(self) -> dict[str, float]:
        """2-norm of each trainable tensor's gradient after the last backward pass."""
        return {k: float(np.linalg.norm(g)) for k, g in self.gradients().items()}

    def layer_gradient_norms(self) -> dict[str, float]:
        """2-norm of each layer's gradient (all its tensors together)."""
        sums: dict[str, float] = {}
        for k, g in self.gradients().items():
            node = k.split("/")[0]
            sums[node] = sums.get(node, 0.0) + float(np.sum(g.astype(np.float64) ** 2))
        return {n: s ** 0.5 for n, s in sums.items()}

    def histograms(self, node_id: str, bins: int = 30) -> dict[str, tuple[np.ndarray,
                                                                          np.ndarray]]:
        """Histograms (counts, bin edges) of a layer's weights and of their last gradients,
        keyed "kernel", "kernel.grad", ..."""
        out = {}
        grads = self.gradients()
        for key, w in self.get_weights().items():
            if key.split("/")[0] != node_id:
                continue
            name = key.split("/", 1)[1]
            out[name] = np.histogram(w, bins=bins)
            if key in grads:
                out[f"{name}.grad"] = np.histogram(grads[key], bins=bins)
        return out

    def dead_relu_fractions(self) -> dict[str, float]:
        """For each layer ending in a ReLU: the fraction of its units (features, or channels of
        an image) that gave zero for every sample of the last batch."""
        acts = self.activations()
        out = {}
        for n, a in acts.items():
            node = self.graph.nodes[n]
            p = node.resolved_params()
            if p.get("activation", p.get("fn")) != "relu":
                continue
            axes = (0, 2, 3) if a.ndim == 4 else tuple(range(a.ndim - 1))
            alive = np.any(a > 0, axis=axes)
            out[n] = float(1.0 - alive.mean())
        return out

    def saturated_fractions(self, margin: float = 0.02) -> dict[str, float]:
        """For each layer ending in a sigmoid or tanh: the fraction of its outputs of the last
        batch within ``margin`` of the function's limits, where gradients all but vanish."""
        acts = self.activations()
        out = {}
        for n, a in acts.items():
            p = self.graph.nodes[n].resolved_params()
            fn = p.get("activation", p.get("fn"))
            if fn == "sigmoid":
                low, high = margin, 1.0 - margin
            elif fn == "tanh":
                low, high = -1.0 + 2 * margin, 1.0 - 2 * margin
            else:
                continue
            out[n] = float(np.mean((a <= low) | (a >= high))) if a.size else 0.0
        return out

    def first_nonfinite(self) -> str | None:
        """The first layer, in forward order, whose output or gradient of the last run holds a
        NaN or an infinity; None when everything was finite."""
        if self._last is None:
            return None
        plan, W = self._last
        for kind, table in (("output", plan.out), ("gradient", plan.grad)):
            order = self.compiled.order if kind == "output" else reversed(self.compiled.order)
            for n in order:
                if n in table and not np.isfinite(
                        self.backend.read(W, table[n].offset, table[n].shape)).all():
                    return n
        for key, w in self.get_weights().items():
            if not np.isfinite(w).all():
                return key.split("/")[0]
        return None


def compile(graph: Graph, backend: str = "cpu", seed: int = 0,
            optimizer: dict[str, Any] | None = None) -> Model:
    """Compile a drawing for a backend ("cpu", "serial" or "cuda"). Raises GraphError for an
    invalid drawing and CompileError when the backend cannot run it."""
    return Model(graph, get_backend(backend), seed=seed, optimizer=optimizer)
