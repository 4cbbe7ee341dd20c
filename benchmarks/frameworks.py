"""The three contenders as step functions over a shared list of batches (x, y): numpy arrays
as visnet takes them (x float32; y float32 class indices or 0/1 targets). Each adapter converts
the batches once up front, so the timed loop measures training only."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import TORCH_THREADS
from .timing import Step

Batches = list[tuple[np.ndarray, np.ndarray]]


def visnet_trainer(graph, weights: dict[str, np.ndarray], optimizer: dict[str, Any],
                   batches: Batches, backend: str = "cpu") -> Step:
    from visnet.core.model import compile

    model = compile(graph, backend=backend, seed=0, optimizer=optimizer)
    model.set_weights(weights)
    n = len(batches)

    def step(i: int) -> float:
        x, y = batches[i % n]
        return model.train_step(x, y)["loss"]

    return step


def torch_trainer(net, loss_fn, lr: float, batches: Batches, class_targets: bool,
                  device: str = "cpu") -> Step:
    """Adam as torch.optim ships it (its default path for the device); loss.item() each step
    as visnet returns the loss each step (on a GPU that also waits for the step to finish)."""
    import torch

    torch.set_num_threads(TORCH_THREADS)
    net.to(device)
    data = [(torch.from_numpy(x).to(device), (torch.from_numpy(y).long() if class_targets
             else torch.from_numpy(y)).to(device)) for x, y in batches]
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    n = len(data)

    def step(i: int) -> float:
        x, y = data[i % n]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def numpy_trainer(model, lr: float, batches: Batches, class_targets: bool) -> Step:
    """model has .params (float32 arrays, updated in place) and .grads(x, y) -> (loss, grads)."""
    from .npnn import Adam

    data = [(x, y.astype(np.int64) if class_targets else y) for x, y in batches]
    opt = Adam(model.params, lr)
    n = len(data)

    def step(i: int) -> float:
        loss, grads = model.grads(*data[i % n])
        opt.step(grads)
        return loss

    return step


def gpu_reasons() -> dict[str, str]:
    """Why the CUDA columns cannot run here, per contender (empty when both can)."""
    from visnet.core.backends import unavailable_reason

    reasons = {}
    why = unavailable_reason("cuda")
    if why is not None:
        reasons["visnet_cuda"] = why
    try:
        import torch

        if not torch.cuda.is_available():
            reasons["torch_cuda"] = f"this PyTorch build ({torch.__version__}) sees no CUDA GPU"
    except ImportError as exc:
        reasons["torch_cuda"] = str(exc)
    return reasons


def with_cuda(makers: dict[str, Any], graph, weights: dict[str, np.ndarray],
              optimizer: dict[str, Any], batches: Batches, torch_model, lr: float,
              class_targets: bool) -> dict[str, Any]:
    """The CPU contenders plus visnet and PyTorch on the GPU, where there is one.
    ``torch_model`` makes a fresh (net, loss_fn) with the shared initial weights."""
    reasons = gpu_reasons()
    if "visnet_cuda" not in reasons:
        makers["visnet_cuda"] = lambda: visnet_trainer(graph, weights, optimizer, batches,
                                                       backend="cuda")
    if "torch_cuda" not in reasons:
        makers["torch_cuda"] = lambda: torch_trainer(*torch_model(), lr, batches,
                                                     class_targets, device="cuda")
    return makers


def torch_weights(module, **tensors: np.ndarray) -> None:
    """Copy numpy arrays into a torch module's parameters by name (shapes must already fit)."""
    import torch

    params = dict(module.named_parameters())
    with torch.no_grad():
        for name, value in tensors.items():
            params[name].copy_(torch.from_numpy(np.ascontiguousarray(value)))


def chain(input_shape, *specs: tuple[str, dict[str, Any]], loss: str = "cross_entropy"):
    """A visnet Graph: Input -> each (type, params) in turn -> Loss; node ids n1, n2, ..."""
    from visnet import Graph

    return Graph.sequential(input_shape, *specs, loss=loss)


def initial_weights(graph) -> dict[str, np.ndarray]:
    """visnet's initial weights for seed 0 (what compile(graph, seed=0) starts from); computed
    without compiling, so the baselines run even where the visnet build cannot."""
    from visnet.core.initializers import init_graph

    return init_graph(graph, 0)


def mlp_makers(units: list[int], activations: list[str], loss: str, lr: float,
               batches: Batches) -> tuple[dict[str, Any], Any]:
    """The three contenders for an MLP with Dense layers of `units` (first entry: inputs)."""
    import torch

    graph = chain([units[0]], *[("Dense", {"units": u, "activation": a})
                                for u, a in zip(units[1:], activations)], loss=loss)
    w = initial_weights(graph)
    dense = [f"n{k + 2}" for k in range(len(units) - 1)]  # ids of the Dense nodes
    layers = [(w[f"{d}/kernel"], w[f"{d}/bias"], a) for d, a in zip(dense, activations)]
    ce = loss == "cross_entropy"

    def torch_model():
        modules: list[torch.nn.Module] = []
        for (kernel, _, act) in layers:
            modules.append(torch.nn.Linear(*kernel.shape))
            if act != "linear":
                modules.append({"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[act]())
        net = torch.nn.Sequential(*modules)
        linears = [k for k, m in enumerate(net) if isinstance(m, torch.nn.Linear)]
        torch_weights(net,
                      **{f"{k}.weight": kernel.T for k, (kernel, _, _) in zip(linears, layers)},
                      **{f"{k}.bias": bias for k, (_, bias, _) in zip(linears, layers)})
        return net, torch.nn.CrossEntropyLoss() if ce else torch.nn.BCEWithLogitsLoss()

    from .npnn import MLP

    optimizer = {"type": "adam", "lr": lr}
    return with_cuda({
        "visnet": lambda: visnet_trainer(graph, w, optimizer, batches),
        "torch": lambda: torch_trainer(*torch_model(), lr, batches, class_targets=ce),
        "numpy": lambda: numpy_trainer(MLP(layers, loss), lr, batches, class_targets=ce),
    }, graph, w, optimizer, batches, torch_model, lr, ce), graph
