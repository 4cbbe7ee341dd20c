"""The shipped templates: each loads, checks cleanly, and carries its training settings."""

import runpy
from pathlib import Path

import pytest

import visnet
from visnet.core.summary import summarize
from visnet.resources import TEMPLATES, templates

REQUIRED = {"spiral_mlp", "digits_cnn", "mnist_mlp", "mnist_lenet", "sine_lstm", "char_rnn",
            "residual_block"}
ALL = [pytest.param(t, id=t.name) for t in templates()]


def test_the_required_templates_are_there():
    assert REQUIRED <= {t.name for t in templates()}


@pytest.mark.parametrize("t", ALL)
def test_template_loads_and_checks_cleanly(t):
    graph = visnet.load(t.path).graph
    report = graph.check()
    assert report.problems == []
    assert graph.dataset and graph.training.epochs >= 1
    assert t.title and t.description


@pytest.mark.parametrize("t", ALL)
def test_committed_template_is_what_the_build_script_writes(t):
    built = runpy.run_path(str(Path(TEMPLATES) / "build.py"))["build_all"]()
    assert visnet.load(t.path).graph == built[t.name]


def test_mnist_mlp_has_101770_parameters():
    summary = summarize(visnet.load(TEMPLATES / "mnist_mlp.visnet").graph)
    assert summary.total == 101_770


def test_residual_block_uses_add_and_char_rnn_uses_simple_rnn():
    residual = visnet.load(TEMPLATES / "residual_block.visnet").graph
    char_rnn = visnet.load(TEMPLATES / "char_rnn.visnet").graph
    assert "Add" in {n.type for n in residual.nodes.values()}
    assert "SimpleRNN" in {n.type for n in char_rnn.nodes.values()}
