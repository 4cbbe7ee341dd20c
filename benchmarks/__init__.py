"""VisNet benchmark suite: visnet (backend "cpu") against PyTorch CPU and hand-written NumPy.

Run with ``python -m benchmarks [--only NAME] [--quick] [--json]``. Each workload lives in its own
module; ``timing`` holds the shared timing loop and ``npnn`` the NumPy building blocks.
"""

import os

# OpenBLAS's pool fights Numba's on a 2-core machine (docs: NOTES-numba-qt.md); this must be set
# before NumPy is first imported, which is why it lives in the package's __init__.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

TORCH_THREADS = 2
