"""The wheel a user installs works away from the source tree: it carries its templates and
texts, its command runs them, and the app starts.

The wheel is built from this checkout and installed into a fresh virtual environment in a
temporary folder; its dependencies come from the environment running the tests (a path file
adds that environment's packages after the new one's own, and paths named there are not read
for further path files, so this checkout's editable install stays out). Every command then runs
from another temporary folder. The first `visnet train` compiles the kernels for the installed
files (about a minute and a half on two cores), so this is the slowest test of the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHIPPED = ["visnet/_resources/templates/index.json", "visnet/_resources/text/fables.txt",
           *(f"visnet/_resources/templates/{p.name}" for p in (REPO / "resources/templates")
             .glob("*.visnet"))]


def clean_environment() -> dict[str, str]:
    """This environment less what would make Python find this checkout instead of the wheel."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def run(args, cwd, env=None, timeout=600):
    out = subprocess.run(args, cwd=cwd, env=env or clean_environment(), capture_output=True,
                         text=True, timeout=timeout)
    assert out.returncode == 0, f"{' '.join(map(str, args))} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin folder of a fresh environment with the wheel installed, a folder to run in, env)"""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(dist), str(REPO)], cwd=root)
    (wheel,) = dist.glob("visnet-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in SHIPPED if name not in names]
    assert not missing, f"the wheel lacks {missing}"
    assert not [n for n in names if n.endswith("build.py")], "a development script shipped"

    env_dir = root / "env"
    run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], cwd=root)
    python = env_dir / "bin" / "python"
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
               cwd=root).strip()
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    # --ignore-installed: the dependencies' folder holds this checkout's editable install, which
    # pip would otherwise take for the package already being there.
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--ignore-installed", str(wheel)], cwd=root)
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    env = clean_environment()
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env_dir / "bin", elsewhere, env


def test_the_installed_package_is_the_wheel_not_this_checkout(installed):
    bin_dir, cwd, env = installed
    where = run([bin_dir / "python", "-c", "import visnet, visnet.resources as r; "
                 "print(visnet.__file__); print(r.TEMPLATES)"], cwd, env).split()
    assert all(not Path(p).resolve().is_relative_to(REPO) for p in where), where
    assert all(Path(p).resolve().is_relative_to(bin_dir.parent) for p in where), where


def test_version(installed):
    bin_dir, cwd, env = installed
    from visnet import __version__

    assert run([bin_dir / "visnet", "--version"], cwd, env).strip() == f"visnet {__version__}"


def test_info_and_train_on_a_shipped_template(installed):
    bin_dir, cwd, env = installed
    table = run([bin_dir / "visnet", "info", "spiral_mlp"], cwd, env)
    assert "Dense" in table and "spiral" in table
    out = cwd / "spiral.visnet"
    lines = run([bin_dir / "visnet", "train", "spiral_mlp", "--epochs", "1", "--json", "--out",
                 str(out)], cwd, env).strip().splitlines()
    assert len(lines) == 1 and '"epoch": 1' in lines[0]
    assert out.exists()


def test_the_text_dataset_is_shipped(installed):
    bin_dir, cwd, env = installed
    out = run([bin_dir / "python", "-c", "import visnet; ds = visnet.datasets.load('text'); "
               "print(ds.spec, len(ds.x_train))"], cwd, env)
    name, count = out.split()
    assert name == "text" and int(count) > 1000


def test_the_app_starts_with_its_example(installed):
    bin_dir, cwd, env = installed
    shot = cwd / "window.png"
    run([bin_dir / "visnet", "--screenshot", str(shot)], cwd, env)
    assert shot.stat().st_size > 10_000
