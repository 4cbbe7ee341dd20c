"""Checking a drawing once per state: the report is kept with the Graph until it changes, shared
by every reader and by copies, and checked afresh after any change."""

import pytest

import visnet
from visnet import Graph
from visnet.core import shapes
from visnet.core.prepare import load_and_compile
from visnet.core.training import Trainer
from visnet.resources import template_path


@pytest.fixture
def checks(monkeypatch):
    """The graphs checked afresh, in order."""
    checked = []
    check_afresh = shapes.check_afresh

    def counted(graph):
        checked.append(graph)
        return check_afresh(graph)

    monkeypatch.setattr(shapes, "check_afresh", counted)
    return checked


def mlp():
    return Graph.sequential([4], ("Dense", {"units": 3}))


def test_one_state_is_checked_once_and_every_change_checks_again(checks):
    g = mlp()
    first = shapes.check(g)
    assert g.check() is first and g.infer_shapes() == first.shapes
    assert shapes.weight_shapes(g)["n2/kernel"] == (4, 3)
    assert checks == [g]
    g.set_params("n2", units=5)
    assert g.infer_shapes()["n2"] == (5,) and len(checks) == 2
    g.move("n2", 10.0, 20.0)
    g.check()
    assert len(checks) == 3


def test_a_copy_shares_the_report_until_it_changes(checks):
    g = mlp()
    report = g.check()
    twin = g.copy()
    assert twin.check() is report and checks == [g]
    twin.set_params("n2", units=7)
    assert twin.infer_shapes()["n2"] == (7,) and g.infer_shapes()["n2"] == (3,)
    assert checks == [g, twin]


def test_loading_compiling_and_training_check_the_drawing_once(checks):
    graph = visnet.load(template_path("spiral_mlp")).graph
    graph.set_training(graph.training.updated(backend="serial", epochs=1))
    dataset, model = load_and_compile(graph, "spiral?samples=100")
    for _ in Trainer(model, dataset).run():
        pass
    assert checks == [graph]
