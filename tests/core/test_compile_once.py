"""A plan is data: new drawings and batch sizes run through the kernels compiled once."""

import numpy as np

import visnet
from visnet.core.backends.cpu import vm
from visnet.core.model import compile
from visnet.resources import templates

from model_graphs import CONV_GRAPHS, DENSE_GRAPHS, targets_for


def test_new_drawings_and_batch_sizes_compile_nothing_new():
    graphs = [make() for make in {**DENSE_GRAPHS, **CONV_GRAPHS}.values()]
    graphs += [visnet.load(t.path).graph for t in templates() if t.name != "mnist_lenet"]
    rng = np.random.default_rng(0)
    signatures = None
    for i, g in enumerate(graphs):
        model = compile(g, backend="cpu" if i % 2 else "serial")
        shape = model.compiled.shapes[model.compiled.input_node]
        for batch in (1, 3):
            x = rng.standard_normal((batch, *shape)).astype(np.float32)
            model.train_step(x, targets_for(g, batch, rng))
        model.predict(x)
        if signatures is None:
            signatures = list(vm.run.signatures)
        assert list(vm.run.signatures) == signatures, f"drawing {i} compiled a new executor"
    # One float32 executor (gradient checks elsewhere may have built the float64 one).
    assert sum("float32" in str(sig[1]) for sig in signatures) == 1
