"""The matrix products behind dense and convolution layers, on both of their paths."""

import numpy as np
import pytest

from visnet.core.backends.cpu import gemm


@pytest.mark.parametrize("m, k, n", [(3, 4, 5), (1, 7, 9), (64, 784, 128), (40, 30, 20)])
@pytest.mark.parametrize("transpose_a", [False, True])
def test_matmul_on_the_loop_and_blas_paths(m, k, n, transpose_a):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m) if transpose_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    out = np.full((m, n), np.nan, np.float32)
    gemm.matmul(a.T if transpose_a else a, b, out)
    ref = (a.T if transpose_a else a).astype(np.float64) @ b
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("m, k, n", [(8, 25, 5000), (16, 60, 4100), (3, 4, 10), (40, 40, 3000)])
def test_matmul_nt_on_the_chunked_and_blas_paths(m, k, n):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((m, n)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    out = np.full((m, k), np.nan, np.float32)
    gemm.matmul_nt(a, b, out)
    np.testing.assert_allclose(out, a.astype(np.float64) @ b.T.astype(np.float64), rtol=1e-4,
                               atol=1e-3)
    assert out.dtype == np.float32
