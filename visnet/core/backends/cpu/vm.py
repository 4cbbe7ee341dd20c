"""The CPU executor for every op: one compiled function that runs any plan.

Each instruction names its op and where its tensors lie in the two arenas (see
visnet.core.backends.opcodes); each kernel module's handlers say how to run its ops (see
executor.py). Because a plan is data, a new drawing or batch size never compiles anything: the
kernels compile once, are cached on disk, and every network runs through them. A whole training
step is one call from Python.
"""

from ..opcodes import Op
from .executor import executor

run = executor(Op)
