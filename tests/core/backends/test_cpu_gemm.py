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


@pytest.mark.parametrize("m, k, n", [(8, 25, 5000), (16, 60, 4100), (3, 4, 10), (7, 40, 300)])
@pytest.mark.parametrize("par", [0, 1])
def test_matmul_nt_in_blocks_of_four_rows_and_the_rest(m, k, n, par):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((m, n)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    out = np.full((m, k), np.nan, np.float32)
    gemm.matmul_nt(a, b, out, par)
    np.testing.assert_allclose(out, a.astype(np.float64) @ b.T.astype(np.float64), rtol=1e-4,
                               atol=1e-3)
    assert out.dtype == np.float32


def test_matmul_nt_keeps_a_nan_where_it_belongs():
    a = np.ones((5, 8), np.float32)
    b = np.ones((3, 8), np.float32)
    b[0, 0] = np.nan
    out = np.zeros((5, 3), np.float32)
    gemm.matmul_nt(a, b, out, 1)
    assert np.isnan(out[:, 0]).all() and (out[:, 1:] == 8).all()


@pytest.mark.parametrize("m, k, n", [(8, 25, 1500), (16, 200, 1030), (3, 5, 7), (1, 3, 600),
                                     (5, 6, 513)])
@pytest.mark.parametrize("par", [0, 1])
@pytest.mark.parametrize("transpose_a", [False, True])
def test_matmul_wide_over_row_pairs_column_chunks_and_remainders(m, k, n, par, transpose_a):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((k, m) if transpose_a else (m, k)).astype(np.float32)
    a = a.T if transpose_a else a
    b = rng.standard_normal((k, n)).astype(np.float32)
    out = np.full((m, n), np.nan, np.float32)
    gemm.matmul_wide(a, b, out, par)
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)
