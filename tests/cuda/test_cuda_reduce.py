"""The CUDA sums (a block per row, a thread per column, more rows than blocks), the launch
configuration's checks, and the views an Arena makes once per plan."""

import os
import subprocess
import sys

import numpy as np
import pytest
from numba import cuda

from visnet.core.backends.cuda.config import MAX_BLOCKS, THREADS
from visnet.core.backends.cuda.ops import Arena, view
from visnet.core.backends.cuda.reduce import column_sums, row_sums
from visnet.core.model import compile

from model_graphs import chain, targets_for


@pytest.mark.parametrize("shape", [(1, 1), (2, 3 * THREADS + 5), (2 * MAX_BLOCKS + 1, 37)])
def test_row_sums_against_numpy(shape):
    m = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    out = cuda.to_device(np.full(shape[0], 99, np.float32))  # overwritten, not added to
    row_sums(cuda.to_device(m), out)
    np.testing.assert_allclose(out.copy_to_host(), m.sum(axis=1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 1), (9, THREADS * MAX_BLOCKS + 3), (33, 2)])
def test_column_sums_against_numpy(shape):
    m = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    out = cuda.to_device(np.full(shape[1], 99, np.float32))
    column_sums(cuda.to_device(m), out)
    np.testing.assert_allclose(out.copy_to_host(), m.sum(axis=0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name, value, fragment", [
    ("VISNET_CUDA_THREADS", "100", "must be a power of two from 1 to 1024"),
    ("VISNET_CUDA_THREADS", "2048", "must be a power of two from 1 to 1024"),
    ("VISNET_CUDA_TILE", "33", "VISNET_CUDA_TILE must be from 1 to 32"),
    ("VISNET_CUDA_MAX_BLOCKS", "0", "VISNET_CUDA_MAX_BLOCKS must be from 1 to 65535"),
])
def test_launch_sizes_a_gpu_would_refuse_are_named(name, value, fragment):
    env = dict(os.environ, **{name: value})
    done = subprocess.run([sys.executable, "-c", "import visnet.core.backends.cuda.config"],
                          env=env, capture_output=True, text=True)
    assert done.returncode != 0 and fragment in done.stderr and f"not {value}" in done.stderr


def test_an_arena_makes_each_view_once_and_views_share_its_memory():
    arena = Arena(cuda.to_device(np.zeros(12, np.float32)))
    a = view(arena, 2, 2, 3)
    assert view(arena, 2, 2, 3) is a and view(arena, 2, 6) is not a
    a.copy_to_device(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(arena.data.copy_to_host()[2:8], np.arange(6))


def test_steps_after_the_first_make_no_new_views():
    graph = chain([5], ("Dense", {"units": 6, "activation": "tanh"}), ("Dense", {"units": 3}))
    model = compile(graph, backend="cuda", seed=0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    y = targets_for(graph, 4, rng)
    model.train_step(x, y)
    counts = len(model.P._views), len(model._last[1]._views)
    model.train_step(x, y)
    assert counts[0] > 0 and (len(model.P._views), len(model._last[1]._views)) == counts
