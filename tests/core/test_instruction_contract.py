"""The compiler and the layer declarations know no backend, and backends read instruction
fields by name: what lets a new layer or a new field land without shifting anyone's reads."""

import ast
import re
from pathlib import Path

import numpy as np

from visnet.core.backends.opcodes import BACKEND_SLOT, FIELDS, OP_SLOT, WIDTH, Op, encode, slots

CORE = Path(__file__).resolve().parents[2] / "visnet" / "core"
BACKEND_PACKAGES = ("visnet.core.backends.cpu", "visnet.core.backends.cuda")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, as an absolute dotted name (relative imports resolved),
    including imports inside functions."""
    package = ".".join(path.relative_to(CORE.parent.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            found.add(name)
            found.update(f"{name}.{a.name}" for a in node.names)
    return found


def test_the_compiler_and_the_layers_import_no_backend():
    files = [CORE / "compiler.py", *sorted((CORE / "layers").glob("*.py"))]
    offenders = {}
    for path in files:
        bad = sorted(m for m in imported_modules(path)
                     if m.startswith(BACKEND_PACKAGES) or m in ("visnet.core.backends",
                                                                "visnet.core.backends.base"))
        if bad:
            offenders[str(path.relative_to(CORE))] = bad
    assert not offenders, f"backend imports where none belong: {offenders}"


def test_the_layers_import_neither_onnx_nor_torch():
    # Each layer's export hooks get the exporters' contexts; the catalogue loads without them.
    offenders = {str(p.relative_to(CORE)): sorted(m for m in imported_modules(p)
                                                  if m.split(".")[0] in ("onnx", "torch"))
                 for p in sorted((CORE / "layers").glob("*.py"))}
    assert not {k: v for k, v in offenders.items() if v}


def test_backends_read_fields_by_name():
    positional = re.compile(r"\b(p|row)\[\d+\]")
    literal_size = re.compile(r"""hyper_p["']\]\s*,\s*8\b|stats_p["']\]\s*,\s*4\b""")
    offenders = []
    for path in sorted((CORE / "backends").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if positional.search(line) or literal_size.search(line):
                offenders.append(f"{path.relative_to(CORE)}:{number}: {line.strip()}")
    hint = "read fields through slots() / fields() and the op code through OP_SLOT, sizes " \
           "through HYPER_SIZE and STATS_SIZE"
    assert not offenders, hint + ":\n" + "\n".join(offenders)


def test_slots_follow_the_field_table():
    for op, names in FIELDS.items():
        row = encode(op, **{name: 100 + i for i, name in enumerate(names)})
        s = slots(op)
        assert row[OP_SLOT] == int(op)
        for i, name in enumerate(names):
            assert row[getattr(s, name)] == 100 + i
        assert row[BACKEND_SLOT] == 0  # the compiler leaves the backend's column alone
    assert BACKEND_SLOT == WIDTH - 1


def test_pooling_forward_ops_share_their_fields():
    # The CPU executor reads both through one set of slots.
    assert FIELDS[Op.MAXPOOL_FWD] == FIELDS[Op.AVGPOOL_FWD]


def test_the_cpu_backend_marks_parallel_passes_from_sizes():
    from visnet.core.backends.cpu.config import PARALLEL_MIN_WORK
    from visnet.core.backends.cpu.work import mark_parallel

    small = encode(Op.COPY, src=0, dst=10, n=10, acc=0)
    large = encode(Op.COPY, src=0, dst=10, n=PARALLEL_MIN_WORK, acc=0)
    loss = encode(Op.LOSS_MSE, pred=0, targets=1, dpred=2, n=PARALLEL_MIN_WORK * 4,
                  stats_p=0, acc=0)
    program = np.stack([small, large, loss])
    marked = mark_parallel(program)
    assert list(marked[:, BACKEND_SLOT]) == [0, 1, 0]
    assert not program[:, BACKEND_SLOT].any()  # the plan itself is left as it was


def test_every_op_has_cpu_and_cuda_twins():
    """Each op's CPU and CUDA handlers carry one name, in sibling modules of one name, and
    take the same arguments (an instruction row, the two arenas, the step)."""
    import inspect

    from visnet.core.backends.cpu.executor import HANDLERS as CPU, load_handlers
    from visnet.core.backends.cuda import kernels  # noqa: F401  (registers the handlers)
    from visnet.core.backends.cuda.ops import HANDLERS as CUDA

    load_handlers()
    problems = []
    for op in Op:
        cpu, cuda = CPU.get(int(op)), CUDA.get(int(op))
        if cpu is None or cuda is None:
            problems.append(f"{op.name}: no {'CPU' if cpu is None else 'CUDA'} handler")
            continue
        if (cpu.__name__, cpu.__module__.rpartition(".")[2]) != \
                (cuda.__name__, cuda.__module__.rpartition(".")[2]):
            problems.append(f"{op.name}: cpu {cpu.__module__}.{cpu.__name__} but cuda "
                            f"{cuda.__module__}.{cuda.__name__}")
        cpu_args = len(inspect.signature(cpu.py_func).parameters)
        if cpu_args != len(inspect.signature(cuda).parameters):
            problems.append(f"{op.name}: the handlers take different arguments")
    assert not problems, "\n".join(problems)
