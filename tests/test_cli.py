"""`visnet info` and the command line's handling of bad input."""

import subprocess
import sys

import pytest

from visnet.resources import TEMPLATES


def visnet(*args):
    return subprocess.run([sys.executable, "-m", "visnet", *args], capture_output=True,
                          text=True, timeout=120)


def test_info_prints_the_layer_table_with_totals():
    result = visnet("info", str(TEMPLATES / "mnist_mlp.visnet"))
    assert result.returncode == 0, result.stderr
    assert "Total params: 101,770" in result.stdout
    assert "n3 (Dense)" in result.stdout and "(128,)" in result.stdout


def test_a_template_is_found_by_its_name_from_any_folder(tmp_path):
    result = subprocess.run([sys.executable, "-m", "visnet", "info", "mnist_mlp"],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Total params: 101,770" in result.stdout


def test_a_file_of_that_name_comes_before_the_template(tmp_path, monkeypatch):
    from visnet.resources import drawing_path

    monkeypatch.chdir(tmp_path)
    assert drawing_path("mnist_mlp") == TEMPLATES / "mnist_mlp.visnet"
    (tmp_path / "mnist_mlp").write_text("{}")
    assert drawing_path("mnist_mlp").resolve() == (tmp_path / "mnist_mlp").resolve()
    assert drawing_path("no_such_template").name == "no_such_template"


def test_version():
    from visnet import __version__

    result = visnet("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"visnet {__version__}"


@pytest.mark.parametrize("args, fragment", [
    (["info", "no-such-file.visnet"], "No such file"),
    (["info", "no_such_template"], "No such file"),
    (["info"], "required"),
    (["info", "a", "b"], "unrecognized"),
    (["--no-such-option"], "unrecognized"),
])
def test_bad_input_exits_2_with_one_line_and_no_traceback(args, fragment):
    result = visnet(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_info_on_a_malformed_file_names_the_fault(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "visnet", "version": 1, "graph": {"nodes": '
                   '[{"id": "a", "type": "Dens"}]}}')
    result = visnet("info", str(bad))
    assert result.returncode == 2
    assert "graph.nodes[0].type" in result.stderr and "did you mean 'Dense'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_info_on_a_broken_drawing_lists_its_problems(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "visnet", "version": 1, "graph": {"nodes": '
                   '[{"id": "a", "type": "Input", "params": {"shape": [1, 8, 8]}}, '
                   '{"id": "b", "type": "Dense"}, {"id": "c", "type": "Loss"}], "edges": '
                   '[{"src": "a", "dst": "b"}, {"src": "b", "dst": "c"}]}}')
    result = visnet("info", str(bad))
    assert result.returncode == 1
    assert "insert a Flatten" in result.stdout
