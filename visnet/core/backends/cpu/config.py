"""Tunables of the CPU kernels, in one place.

fastmath keeps only the flags that allow vectorised reductions: full fastmath lets LLVM assume
no NaN, which turns every np.isnan into False and hides a diverging run.
"""

FASTMATH = {"reassoc", "contract", "arcp"}

# Every kernel releases the GIL so the window stays responsive while training runs, and is
# cached on disk so a new process loads it instead of compiling it.
JIT = dict(nogil=True, cache=True, fastmath=FASTMATH)
JIT_PARALLEL = dict(JIT, parallel=True)
# In a JIT_PARALLEL kernel write loops, never array expressions (`a[:] = 0`, `a + b`): numba turns
# those into parallel regions of their own, which cost microseconds even for ten values.

# Below this many multiply-adds a kernel runs its loops serially: waking the thread pool costs
# about a microsecond, more than small layers take.
PARALLEL_MIN_WORK = 1 << 15
