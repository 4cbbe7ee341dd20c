"""Tunables of the CPU kernels, in one place.

fastmath keeps only the flags that allow vectorised reductions: full fastmath lets LLVM assume
no NaN, which turns every np.isnan into False and hides a diverging run.
"""

FASTMATH = {"reassoc", "contract", "arcp"}

# Every kernel releases the GIL so the window stays responsive while training runs, and is
# cached on disk so a new process loads it instead of compiling it.
JIT = dict(nogil=True, cache=True, fastmath=FASTMATH,
           # NumPy's rule for x / 0 (inf or NaN, which the training guard reports) instead of
           # Python's ZeroDivisionError: the check it needs in every division stops loops
           # from vectorising (Adam's update ran 3x slower with it).
           error_model="numpy")
JIT_PARALLEL = dict(JIT, parallel=True)
# Index arrays from a view starting at 0 (`g = a[2*n:3*n]; g[u]`), not with computed offsets
# (`a[2*n + u]`): numba cannot tell those are non-negative and adds a wrap-around check to each
# access, which stops vectorisation (the LSTM cell ran 5x slower).
# In a JIT_PARALLEL kernel write loops, never array expressions (`a[:] = 0`, `a + b`): numba turns
# those into parallel regions of their own, which cost microseconds even for ten values.

# Below this much work (about one unit a value touched, or a multiply-add) a kernel runs its loops
# serially. Waking the thread pool costs 1-2 us, but prange loops also vectorise worse than
# plain ones: on a 2-core machine only large convolution and pooling passes gained.
PARALLEL_MIN_WORK = 1 << 18
