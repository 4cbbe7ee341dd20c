"""The canvas as a live view of training: how a card shows its gradient norm and its flags
(``visnet.core.health`` decides which), and a real run feeding the scene.

UI checks assert on item state (``live_norm``, ``live_badges``, ``live_position``, the tooltip),
never on pixels.
"""

import pytest

import visnet
from visnet.core import health
from visnet.core.errors import Problem
from visnet.core.health import Badge, assess
from visnet.resources import template_path
from visnet.ui import theme
from visnet.ui.canvas import CanvasScene
from visnet.ui.canvas.items import LIVE_TINTS
from visnet.ui.commands import SetTraining
from visnet.ui.document import DocumentModel
from visnet.ui.training.controller import IDLE, TrainingController

# -- the cards ------------------------------------------------------------------------------


@pytest.fixture
def spiral(qtbot):
    doc = DocumentModel(visnet.load(template_path("spiral_mlp")))
    return doc, CanvasScene(doc)


def dense_ids(doc):
    return [n for n, node in doc.graph.nodes.items() if node.type == "Dense"]


def test_show_training_tints_the_layers_with_a_gradient_and_flags_the_unhealthy(spiral):
    _, scene = spiral
    norms = {"n2": 1e-9, "n3": 0.3, "n4": 0.9}
    badges = assess(norms, {"n3": 0.75}, {})
    assert set(badges) == {"n2", "n3"}
    scene.show_training(norms, badges)
    for node_id, item in scene.node_items.items():
        if node_id in norms:
            assert item.live_norm == norms[node_id]
            assert 0.0 <= item.live_position <= 1.0 and item.live_tint is not None
        else:  # the Input and the Loss have no gradient: no tint, nothing in the tooltip
            assert item.live_norm is None and item.live_position is None
            assert item.live_tint is None and "Training" not in item.toolTip()
    assert scene.node_items["n2"].live_position == 0.0
    assert scene.node_items["n4"].live_position == 1.0
    assert [b.kind for b in scene.node_items["n2"].live_badges] == ["vanishing"]
    assert scene.node_items["n2"].shows_live_badge
    assert not scene.node_items["n4"].live_badges and not scene.node_items["n4"].shows_live_badge

    tip = scene.node_items["n3"].toolTip()
    assert tip.startswith("Dense n3")  # what the card said before comes first
    assert "Training: gradient norm 3.0e-01" in tip
    assert "dead ReLUs" in tip and badges["n3"][0].detail in tip
    assert badges["n2"][0].detail in scene.node_items["n2"].toolTip()

    scene.clear_training()
    for item in scene.node_items.values():
        assert item.live_norm is None and item.live_position is None and item.live_badges == []
        assert item.live_tint is None and not item.shows_live_badge
        assert "Training" not in item.toolTip()
    assert scene.node_items["n3"].toolTip().startswith("Dense n3")


def test_a_card_repaints_only_when_what_it_shows_changes(spiral):
    _, scene = spiral
    scene.show_training({"n2": 0.01, "n3": 0.1, "n4": 1.0}, {})
    assert scene.show_training({"n2": 0.01, "n3": 0.1, "n4": 1.0}, {}) == 0
    # a small drift of one norm moves no tint step, but the tooltip follows it
    assert scene.show_training({"n2": 0.01, "n3": 0.1001, "n4": 1.0}, {}) == 0
    assert "1.0e-01" in scene.node_items["n3"].toolTip()
    assert scene.show_training({"n2": 0.01, "n3": 0.9, "n4": 1.0}, {}) == 1
    flagged = {"n2": [Badge("dead_relu", "dead ReLUs", "90% of the units ...")]}
    assert scene.show_training({"n2": 0.01, "n3": 0.9, "n4": 1.0}, flagged) == 1


def test_an_error_on_the_card_wins_over_the_training_colours(spiral):
    _, scene = spiral
    item = scene.node_items["n3"]
    scene.show_training({"n2": 0.01, "n3": 0.1, "n4": 1.0},
                        {"n3": [Badge("dead_relu", "dead ReLUs", "90% of the units ...")]})
    assert item.live_tint is not None and item.shows_live_badge
    item.problems = [Problem("n3", "Dense n3 cannot take this input: fix it")]
    assert item.has_error and item.live_tint is None and not item.shows_live_badge
    item.problems = [Problem("n3", "the output of Dense n3 goes nowhere", "warning")]
    assert item.has_warning and item.live_tint is not None and item.shows_live_badge


def test_the_tint_follows_the_theme(spiral, qapp):
    _, scene = spiral
    scene.show_training({"n2": 0.01, "n3": 0.1, "n4": 1.0}, {})
    low, high = scene.node_items["n2"], scene.node_items["n4"]
    try:
        for name in ("light", "dark"):
            theme.apply_theme(name, qapp)
            assert low.live_tint.name() == LIVE_TINTS[name][0]
            assert high.live_tint.name() == LIVE_TINTS[name][1]
    finally:
        theme.apply_theme("light", qapp)


# -- a real run -----------------------------------------------------------------------------


@pytest.fixture
def frequent_snapshots(monkeypatch):
    """Snapshots every 10 ms instead of the controller's 250, so a three-epoch run of under a
    second sends many of them whatever the machine's speed."""
    from visnet.core import training

    class Trainer(training.Trainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.snapshot_every = 0.01

    monkeypatch.setattr(training, "Trainer", Trainer)


def test_a_short_run_makes_the_dense_cards_live(qtbot, spiral, frequent_snapshots):
    doc, scene = spiral
    doc.push(SetTraining(doc.graph, doc.graph.training.updated(epochs=3)))
    controller = TrainingController(doc)
    shown = []

    def on_snapshot(snapshot):
        badges = health.assess(snapshot.gradient_norms, snapshot.dead_relu, {})
        scene.show_training(snapshot.gradient_norms, badges)
        shown.append(snapshot)

    controller.snapshot.connect(on_snapshot)
    failures = []
    controller.failed.connect(lambda message, node_id: failures.append(message))
    controller.train()
    # A warm kernel cache makes this about a second; a cold one compiles for a minute or more.
    qtbot.waitUntil(lambda: bool(controller.state == IDLE), timeout=180000)
    assert controller.wait()
    assert not failures and shown
    for node_id in dense_ids(doc):
        item = scene.node_items[node_id]
        assert item.live_norm is not None and item.live_norm > 0, node_id
        assert item.live_position is not None
        assert "Training: gradient norm" in item.toolTip()
    assert scene.node_items["n1"].live_norm is None  # the Input learns nothing
    scene.clear_training()
    assert all(not item.is_live for item in scene.node_items.values())
