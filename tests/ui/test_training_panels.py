import csv
import warnings

import numpy as np
import pytest

from visnet.core.training import new_history
from visnet.ui import theme
from visnet.ui.training.panels import (ActivationsPanel, BoundaryPanel, ConfusionPanel,
                                       CurvesPanel, GalleryPanel, GradientFlowPanel,
                                       HistogramPanel, all_panels, mosaic)
from visnet.ui.training.panels.base import REDRAW_MS
from visnet.ui.training.panels.boundary import BLUE, ORANGE
from visnet.ui.training.panels.curves import Ema
from visnet.ui.training.panels.gradients import NORM_FLOOR

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def make(qtbot):
    def build(cls):
        panel = cls()
        qtbot.addWidget(panel)
        return panel
    return build


def epoch_metrics(epoch, step, loss, accuracy, val_loss=None, val_accuracy=None):
    m = {"epoch": epoch, "step": step, "loss": loss, "accuracy": accuracy, "precision": 0.5,
         "recall": 0.5, "f1": 0.5, "confusion": [[1, 0], [0, 1]], "lr": 1e-3, "seconds": 0.1}
    if val_loss is not None:
        m.update(val_loss=val_loss, val_accuracy=val_accuracy)
    return m


def drawn(values):
    """An item's xData/yData (None once it holds no points) as an array."""
    return np.empty(0) if values is None else np.asarray(values)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


# -- Loss and accuracy ---------------------------------------------------------------------------


def test_batches_arrive_in_blocks_and_are_kept_in_order(make):
    panel = make(CurvesPanel)
    assert not panel.has_data()
    for start in (1, 11, 21):
        steps = np.arange(start, start + 10)
        panel.add_batches(steps, 1.0 / steps, np.linspace(0.1, 0.9, 10))
    assert panel.has_data()
    np.testing.assert_array_equal(panel.batch_steps(), np.arange(1, 31))
    np.testing.assert_allclose(panel.batch_loss(), 1.0 / np.arange(1, 31))
    panel.flush()
    assert len(panel.loss_raw.xData) == 30


def test_epochs_become_rows_and_points_and_a_history_rebuilds_the_same(make):
    panel = make(CurvesPanel)
    panel.add_batches([1, 2, 3, 4], [1.0, 0.8, 0.6, 0.5], [0.2, 0.4, 0.5, 0.6])
    panel.add_epoch(epoch_metrics(1, 2, 0.9, 0.3, 0.95, 0.25))
    panel.add_epoch(epoch_metrics(2, 4, 0.55, 0.55, 0.6, 0.5))
    rows = panel.epoch_rows()
    assert rows == [
        {"epoch": 1, "step": 2, "loss": 0.9, "accuracy": 0.3, "val_loss": 0.95,
         "val_accuracy": 0.25},
        {"epoch": 2, "step": 4, "loss": 0.55, "accuracy": 0.55, "val_loss": 0.6,
         "val_accuracy": 0.5}]
    panel.flush()
    np.testing.assert_array_equal(panel.loss_val.xData, [2, 4])
    np.testing.assert_allclose(panel.metric_val.yData, [0.25, 0.5])

    history = new_history()
    history["batches"] = {"step": [1, 2, 3, 4], "loss": [1.0, 0.8, 0.6, 0.5],
                          "accuracy": [0.2, 0.4, 0.5, 0.6]}
    history["epochs"] = [epoch_metrics(1, 2, 0.9, 0.3, 0.95, 0.25),
                         epoch_metrics(2, 4, 0.55, 0.55, 0.6, 0.5)]
    other = make(CurvesPanel)
    other.add_batches([100], [9.0], [0.0])  # replaced, not added to
    other.set_history(history)
    np.testing.assert_array_equal(other.batch_steps(), panel.batch_steps())
    np.testing.assert_array_equal(other.batch_loss(), panel.batch_loss())
    assert other.epoch_rows() == rows

    panel.clear()
    assert not panel.has_data() and panel.epoch_rows() == []
    assert len(drawn(panel.loss_raw.xData)) == 0 and len(drawn(panel.loss_epoch.xData)) == 0


def test_an_epoch_without_validation_draws_no_validation_point(make):
    panel = make(CurvesPanel)
    panel.add_epoch(epoch_metrics(1, 10, 0.5, 0.8))
    panel.flush()
    assert panel.epoch_rows()[0]["val_loss"] is None
    assert len(drawn(panel.loss_epoch.xData)) == 1 and len(drawn(panel.loss_val.xData)) == 0


def test_regression_shows_mae(make):
    panel = make(CurvesPanel)
    panel.add_epoch({"epoch": 1, "step": 5, "loss": 2.0, "mae": 1.1, "mse": 2.0,
                     "val_loss": 2.5, "val_mae": 1.3, "val_mse": 2.5})
    assert panel.task() == "regression"
    assert panel.epoch_rows()[0]["val_mae"] == 1.3
    assert panel.metric_plot.getAxis("left").labelText == "MAE"
    panel.set_task("classes")
    assert panel.metric_plot.getAxis("left").labelText == "accuracy"


def test_the_key_names_train_and_validation_in_their_colours_outside_the_plots(make):
    panel = make(CurvesPanel)
    t = theme.current()
    text = panel.key.text()
    assert "train" in text and "val" in text and "validation" in panel.key.toolTip()
    assert t.selection in text and t.warning in text
    assert panel.loss_plot.legend is None and panel.metric_plot.legend is None


def test_log_scale_toggles_the_loss_axis(make):
    panel = make(CurvesPanel)
    panel.add_batches([1, 2, 3], [1.0, 0.1, 0.0], [0.1, 0.5, 0.9])  # a zero loss is allowed
    assert not panel.log_scale()
    panel.log_check.setChecked(True)
    assert panel.log_scale()
    assert panel.loss_plot.getAxis("left").logMode
    assert not panel.metric_plot.getAxis("left").logMode
    panel.flush()
    panel.set_log_scale(False)
    assert not panel.log_scale()


def test_smoothing_changes_the_curve_drawn_but_not_the_data(make):
    panel = make(CurvesPanel)
    rng = np.random.default_rng(0)
    loss = 1.0 + rng.normal(0, 0.3, 200)
    panel.set_smoothing(0.0)
    panel.add_batches(np.arange(1, 201), loss, np.full(200, 0.5))
    raw_drawn = panel.displayed_batch_loss()
    np.testing.assert_allclose(raw_drawn, loss)
    panel.smoothing_spin.setValue(0.9)
    assert panel.smoothing() == pytest.approx(0.9)
    smooth = panel.displayed_batch_loss()
    np.testing.assert_allclose(panel.batch_loss(), loss)  # the raw data stay
    assert smooth.shape == loss.shape
    assert np.std(np.diff(smooth)) < 0.5 * np.std(np.diff(loss))
    assert smooth[0] == pytest.approx(loss[0])  # debiased: starts at the first value
    assert panel.loss_raw.isVisible()  # the raw curve stays, faint, behind


def test_smoothing_continues_across_blocks_as_if_computed_at_once():
    x = np.random.default_rng(1).normal(size=100)
    whole = Ema(0.8).extend(x)
    ema = Ema(0.8)
    parts = np.concatenate([ema.extend(x[:30]), ema.extend(x[30:31]), ema.extend(x[31:])])
    np.testing.assert_allclose(parts, whole)
    expected, last = [], 0.0
    for i, v in enumerate(x, 1):  # TensorBoard's loop
        last = last * 0.8 + 0.2 * v
        expected.append(last / (1 - 0.8 ** i))
    np.testing.assert_allclose(whole, expected)


def test_twenty_thousand_points_in_two_hundred_blocks_reuse_the_items(make, qtbot):
    panel = make(CurvesPanel)
    panel.resize(600, 400)
    panel.show()
    items = list(panel.loss_plot.listDataItems())
    rng = np.random.default_rng(0)
    for block in range(200):
        steps = np.arange(block * 100 + 1, block * 100 + 101)
        panel.add_batches(steps, np.exp(-steps / 5000) + rng.normal(0, 0.01, 100),
                          rng.uniform(size=100))
        qtbot.wait(0) if block % 20 else qtbot.wait(60)  # let some redraws happen
    panel.flush()
    assert list(panel.loss_plot.listDataItems()) == items
    assert len(panel.batch_steps()) == 20_000
    assert len(panel.loss_raw.xData) == 20_000


def test_a_very_long_run_is_thinned_evenly(make, monkeypatch):
    from visnet.ui.training.panels import curves
    monkeypatch.setattr(curves, "MAX_BATCH_POINTS", 100)
    panel = make(CurvesPanel)
    for start in range(0, 400, 10):
        steps = np.arange(start, start + 10)
        panel.add_batches(steps, steps * 0.5, None)
    steps = panel.batch_steps()
    assert len(steps) <= 100
    np.testing.assert_array_equal(steps, np.arange(0, 400, 4))  # every 4th, old and new
    np.testing.assert_array_equal(panel.batch_loss(), steps * 0.5)


def test_the_curves_export_a_png_and_a_csv(make, tmp_path):
    panel = make(CurvesPanel)
    panel.add_batches([1, 2], [0.5, 0.4], [0.6, 0.7])
    panel.add_epoch(epoch_metrics(1, 2, 0.45, 0.65, 0.5, 0.6))
    panel.export_csv(tmp_path / "c.csv")
    rows = read_csv(tmp_path / "c.csv")
    assert rows[0] == ["kind", "step", "epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    assert rows[1] == ["batch", "1", "", "0.5", "0.6", "", ""]
    assert rows[3] == ["epoch", "2", "1", "0.45", "0.65", "0.5", "0.6"]


# -- Gradient flow -------------------------------------------------------------------------------


def test_gradient_flow_draws_a_labelled_line_per_layer(make):
    panel = make(GradientFlowPanel)
    panel.set_layers({"n2": "Dense n2", "n3": "Dense n3"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for step in range(1, 6):
            panel.add(step * 10, {"n2": 0.0 if step == 3 else 0.5 / step,
                                  "n3": float("nan") if step == 4 else 2.0 * step})
        panel.flush()
    steps, norms = panel.series("n2")
    np.testing.assert_array_equal(steps, [10, 20, 30, 40, 50])
    assert len(panel.series("n3")[1]) == 5
    assert norms[2] == NORM_FLOOR and panel.series("n3")[1][3] == NORM_FLOOR
    assert panel.plot.getAxis("left").logMode
    labels = [label.text for _, label in panel.legend.items]
    assert labels == ["Dense n2", "Dense n3"]
    assert len(panel.plot.listDataItems()) == 2
    pens = {c.opts["pen"].color().name() for c in panel.plot.listDataItems()}
    assert len(pens) == 2

    panel.add(60, {"n9": 1.0})  # a layer nobody announced still gets a line
    assert panel.layers()["n9"] == "n9"
    panel.set_layers({"n2": "Dense n2"})  # a new network
    assert len(panel.plot.listDataItems()) == 1 and len(panel.series("n2")[0]) == 5
    panel.clear()
    assert not panel.has_data() and panel.layers() == {"n2": "Dense n2"}


@pytest.mark.parametrize("cls", [CurvesPanel, GradientFlowPanel])
def test_the_x_range_grows_ahead_of_a_run_and_closes_up_when_it_ends(make, cls):
    panel = make(cls)
    for step in range(10, 310, 10):
        if cls is CurvesPanel:
            panel.add_batches([step], [1.0 / step], [0.5])
        else:
            panel.add(step, {"n2": 1.0 / step})
    panel.flush()
    plot = panel.loss_plot if cls is CurvesPanel else panel.plot
    right = plot.viewRange()[0][1]
    assert right >= 1.3 * 300  # room ahead: the axis does not change with every point
    panel.run_ended()
    panel.flush()
    assert 300 <= plot.viewRange()[0][1] <= 1.05 * 300
    panel.add_batches([400], [0.1], [0.5]) if cls is CurvesPanel else panel.add(400, {"n2": 0.1})
    panel.flush()
    assert plot.viewRange()[0][1] >= 1.3 * 400  # a run that goes on grows it again


def test_a_saved_run_fills_the_x_range(make):
    history = new_history()
    history["batches"] = {"step": list(range(1, 1001)), "loss": [1.0] * 1000,
                          "accuracy": [0.5] * 1000}
    panel = make(CurvesPanel)
    panel.set_history(history)
    assert 1000 <= panel.loss_plot.viewRange()[0][1] <= 1.05 * 1000


# -- Weights and gradients -----------------------------------------------------------------------


def test_weights_left_gradients_right(make):
    panel = make(HistogramPanel)
    rng = np.random.default_rng(0)
    hists = {"kernel": np.histogram(rng.normal(size=500), bins=30),
             "kernel.grad": np.histogram(rng.normal(0, 1e-3, 500), bins=30),
             "bias": np.histogram(np.zeros(10), bins=30)}
    panel.show("Dense n2", hists)
    panel.flush()
    assert panel.title() == "Dense n2"
    assert set(panel.current()) == {"kernel", "kernel.grad", "bias"}
    assert panel.plotted() == {"kernel": "weights", "kernel.grad": "gradients",
                               "bias": "weights"}
    assert len(panel.weight_plot.listDataItems()) == 2
    assert len(panel.grad_plot.listDataItems()) == 1
    assert "Dense n2" in panel.weight_plot.titleLabel.text
    item = panel.grad_plot.listDataItems()[0]
    assert item.opts["stepMode"] == "center"
    np.testing.assert_array_equal(item.yData, hists["kernel.grad"][0])

    kept = panel.weight_plot.listDataItems()[0]
    panel.show("Dense n3", {"kernel": hists["kernel"]})  # items are reused, stale ones go
    panel.flush()
    assert panel.weight_plot.listDataItems() == [kept]
    assert panel.grad_plot.listDataItems() == []
    panel.clear()
    assert not panel.has_data()


def test_show_without_arguments_still_shows_the_dock(make):
    panel = make(HistogramPanel)
    panel.show()
    assert panel.isVisible() and not panel.has_data()


# -- Activations ---------------------------------------------------------------------------------


def test_a_feature_map_becomes_one_mosaic(make):
    panel = make(ActivationsPanel)
    fmap = np.random.default_rng(0).normal(size=(8, 6, 6)).astype(np.float32)
    panel.show("Conv2D n2", fmap)
    panel.flush()
    image = panel.image()
    assert image.shape == (3 * 6 + 2, 3 * 6 + 2)  # 3x3 tiles, 1-pixel separators
    assert np.isnan(image[6, :]).all() and np.isnan(image[:, 13]).all()  # separators
    assert np.isnan(image[14:, 14:]).all()  # the ninth tile is empty
    tile = image[7:13, 7:13]  # channel 4
    assert tile.min() == 0.0 and tile.max() == 1.0  # scaled to its own range
    np.testing.assert_allclose(tile, (fmap[4] - fmap[4].min()) / np.ptp(fmap[4]), atol=1e-6)
    assert panel.image_item.image.shape == image.shape
    assert panel.title() == "Conv2D n2"


def test_vectors_become_strips_and_sequences_time_by_units():
    assert mosaic(np.arange(64.0)).shape == (1, 64)
    wrapped = mosaic(np.arange(100.0))
    assert wrapped.shape == (2, 64) and np.isnan(wrapped[1, 36:]).all()
    assert mosaic(np.ones((5, 7))).shape == (5, 7)
    assert mosaic(np.zeros((1, 2, 3, 3))).shape == (3, 7)  # a batch of one
    with pytest.raises(ValueError):
        mosaic(np.zeros((2, 2, 2, 2)))


def test_the_sample_spin_asks_for_another_sample(make, qtbot):
    panel = make(ActivationsPanel)
    panel.show("Dense n3", np.linspace(0, 1, 64))
    panel.flush()
    assert panel.image().shape == (1, 64)
    panel.set_sample_count(10)
    assert panel.sample_spin.maximum() == 9
    with qtbot.waitSignal(panel.sample_changed, timeout=1000) as blocker:
        panel.sample_spin.setValue(4)
    assert blocker.args == [4]
    with qtbot.waitSignal(panel.sample_changed, timeout=1000) as blocker:
        panel.set_sample_count(3)  # the choice had to move
    assert blocker.args == [2]
    panel.set_colormap("grey")
    assert panel.colormap_combo.currentText() == "grey"
    panel.clear()
    assert panel.image() is None


# -- Decision boundary ---------------------------------------------------------------------------


def test_the_boundary_is_an_image_under_the_points(make):
    panel = make(BoundaryPanel)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (50, 2))
    y = (x[:, 0] > 0).astype(int)
    panel.set_points(x, y)
    panel.flush()
    xs, ys = np.linspace(-1, 1, 21), np.linspace(-1, 1, 11)
    values = 1 / (1 + np.exp(-5 * xs[None, :].repeat(11, 0)))
    panel.show_grid(xs, ys, values)
    panel.flush()
    gx, gy, gv = panel.grid()
    assert gv.shape == (11, 21)
    np.testing.assert_array_equal(gx, xs)
    px, py = panel.points()
    assert px.shape == (50, 2)
    np.testing.assert_array_equal(py, y)
    assert len(panel.scatter.data) == 50
    brushes = {b.color().name() for b in panel.scatter.data["brush"]}
    assert brushes == {ORANGE, BLUE}
    assert panel.image_item.image.shape == (11, 21)
    assert panel.image_item.zValue() < panel.scatter.zValue()
    rect = panel.image_item.mapRectToParent(panel.image_item.boundingRect())
    assert rect.left() == pytest.approx(-1.05) and rect.right() == pytest.approx(1.05)
    assert rect.top() == pytest.approx(-1.1) and rect.bottom() == pytest.approx(1.1)

    panel.show_grid(xs, ys, (values > 0.5).astype(int))  # predicted classes
    panel.flush()
    assert panel.image_item.image.shape == (11, 21, 4)
    with pytest.raises(ValueError):
        panel.show_grid(xs, ys, values.T)


def test_a_hidden_panel_draws_only_once_it_is_shown(make, qtbot):
    panel = make(ConfusionPanel)  # never shown: behind another tab, say
    panel.show(np.array([[2, 1], [0, 3]]), ["a", "b"], 1)
    qtbot.wait(REDRAW_MS * 3)
    assert panel.image_item.image is None and panel.table.rowCount() == 0
    assert panel.epoch() == 1  # the data is kept
    panel.show()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=2000)
    assert panel.image_item.image.shape == (2, 2)


# -- Confusion matrix ----------------------------------------------------------------------------


def test_the_confusion_matrix_gives_per_class_precision_and_recall(make):
    panel = make(ConfusionPanel)
    m = np.array([[5, 1, 0],
                  [2, 3, 1],
                  [0, 0, 0]])  # class 2 never occurs and is never predicted
    panel.show(m, ["cat", "dog", "bird"], 3)
    panel.flush()
    np.testing.assert_array_equal(panel.matrix(), m)
    np.testing.assert_allclose(panel.precision(), [5 / 7, 3 / 4, 0.0])
    np.testing.assert_allclose(panel.recall(), [5 / 6, 3 / 6, 0.0])
    assert panel.epoch() == 3 and "Epoch 3" in panel.plot.titleLabel.text
    assert panel.cell_texts() == ["5", "1", "0", "2", "3", "1", "0", "0", "0"]
    assert panel.table.rowCount() == 3
    assert [panel.table.item(1, c).text() for c in range(3)] == ["dog", "0.750", "0.500"]

    texts = list(panel._texts)
    panel.show(np.eye(2, dtype=int), ["a", "b"], 4)  # text items are reused
    panel.flush()
    assert panel._texts == texts and panel.cell_texts() == ["1", "0", "0", "1"]
    panel.show(np.ones((25, 25), int), None, 5)  # too many classes for numbers
    panel.flush()
    assert panel.cell_texts() == [] and panel.class_names()[24] == "24"


# -- Predictions ---------------------------------------------------------------------------------


def test_the_gallery_frames_mistakes(make):
    panel = make(GalleryPanel)
    images = np.random.default_rng(0).uniform(size=(40, 1, 8, 8))
    true = np.arange(40) % 3
    predicted = true.copy()
    predicted[[1, 5]] = (true[[1, 5]] + 1) % 3
    panel.show(images, true, predicted, ["zero", "one", "two"])
    panel.flush()
    items = panel.items()
    assert len(items) == 32 and panel.list.count() == 32
    assert [i for i, (_, _, wrong) in enumerate(items) if wrong] == [1, 5]
    assert items[1] == (1, 2, True)
    assert panel.captions()[1] == "two / one"
    assert panel.list.item(1).foreground().color().name() == theme.current().error
    assert panel.list.item(0).foreground().color().name() != theme.current().error

    rgb = np.random.default_rng(1).uniform(size=(3, 3, 5, 5))
    panel.show(rgb, [0, 1, 2], [0, 1, 2], None)
    panel.flush()
    assert panel.list.count() == 3 and not any(w for _, _, w in panel.items())
    assert panel.captions()[2] == "2 / 2"


def test_the_gallery_shows_an_autoencoders_input_beside_its_output(make):
    panel = make(GalleryPanel)
    rng = np.random.default_rng(0)
    targets = rng.uniform(size=(40, 1, 8, 8))
    outputs = targets + 0.1  # every pixel off by 0.1: a mean squared error of 0.01
    panel.show_reconstructions(targets, outputs)
    panel.flush()
    assert panel.has_data() and panel.list.count() == 32
    assert panel.reconstruction_errors() == pytest.approx([0.01] * 32)
    assert panel.captions()[0] == "MSE 0.0100"
    assert panel.list.iconSize().width() > panel.list.iconSize().height()  # two images wide
    assert panel.csv_table()[0] == ["index", "mean_squared_error"]
    panel.show(targets[:3], [0, 1, 2], [0, 1, 1], None)  # a classifier again
    panel.flush()
    assert panel.reconstruction_errors() == [] and panel.captions()[2] == "1 / 2"
    assert panel.list.iconSize().width() == panel.list.iconSize().height()
    assert not panel.list.item(0).icon().isNull()


# -- every panel ---------------------------------------------------------------------------------


def feed(key, panel):
    rng = np.random.default_rng(0)
    if key == "curves":
        panel.add_batches([1, 2, 3], [0.9, 0.7, 0.6], [0.5, 0.6, 0.7])
        panel.add_epoch(epoch_metrics(1, 3, 0.7, 0.6, 0.8, 0.55))
    elif key == "gradients":
        panel.set_layers({"n2": "Dense n2"})
        panel.add(1, {"n2": 0.5})
    elif key == "histograms":
        panel.show("Dense n2", {"kernel": np.histogram(rng.normal(size=100), 10),
                                "kernel.grad": np.histogram(rng.normal(size=100), 10)})
    elif key == "activations":
        panel.show("Conv2D n2", rng.normal(size=(4, 5, 5)))
    elif key == "boundary":
        panel.set_points(rng.uniform(-1, 1, (20, 2)), rng.integers(0, 2, 20))
        panel.show_grid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 4), rng.uniform(size=(4, 5)))
    elif key == "confusion":
        panel.show(np.array([[3, 1], [0, 4]]), ["a", "b"], 1)
    elif key == "gallery":
        panel.show(rng.uniform(size=(4, 1, 6, 6)), [0, 1, 0, 1], [0, 1, 1, 1], ["a", "b"])


HEADERS = {
    "curves": ["kind", "step", "epoch", "loss", "accuracy", "val_loss", "val_accuracy"],
    "gradients": ["step", "layer", "label", "norm"],
    "histograms": ["tensor", "bin_start", "bin_end", "count"],
    "activations": ["channel", "row", "col", "value"],
    "boundary": ["kind", "x", "y", "value"],
    "confusion": ["true", "a", "b", "precision", "recall"],
    "gallery": ["index", "true", "predicted", "correct"],
}


def test_every_panel_is_a_named_dock_that_exports_png_and_csv(qtbot, tmp_path):
    panels = all_panels()
    assert list(panels) == list(HEADERS)
    names = set()
    for key, panel in panels.items():
        qtbot.addWidget(panel)
        names.add(panel.objectName())
        assert panel.objectName() and panel.png_button.text() == "PNG"
        assert not panel.has_data()
        feed(key, panel)
        assert panel.has_data(), key
        png, table = tmp_path / f"{key}.png", tmp_path / f"{key}.csv"
        assert panel.export_png(str(png)), key
        assert png.read_bytes().startswith(PNG_MAGIC) and png.stat().st_size > 200, key
        panel.export_csv(str(table))
        rows = read_csv(table)
        assert rows[0] == HEADERS[key], key
        assert len(rows) > 1, key
        panel.clear()
        assert not panel.has_data(), key
    assert len(names) == len(panels)


def test_odd_but_possible_input_breaks_no_panel(qtbot):
    panels = all_panels()
    for panel in panels.values():
        qtbot.addWidget(panel)
        panel.resize(400, 300)
        panel.show()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        curves = panels["curves"]
        curves.add_batches([], [], None)
        curves.add_batches([1, 2], [float("nan"), 1.0], None)
        curves.set_history({"batches": {"step": [1, 2], "loss": [1.0, 2.0],
                                        "accuracy": [None, None]}})
        assert len(curves.batch_steps()) == 2
        panels["gradients"].add(1, {"n2": float("inf")})
        panels["histograms"].show("BatchNorm n3", {"gamma": ([3], [1.0, 1.0])})
        panels["activations"].show("Conv2D n2", np.full((3, 4, 4), np.nan))
        panels["activations"].show("Dense n3", np.ones(1))
        panels["boundary"].show_grid([0, 1], [0, 1], np.array([[0, 2], [1, 1]]))
        panels["confusion"].show(np.zeros((3, 3)))
        panels["gallery"].show(np.random.default_rng(0).uniform(size=(2, 5, 5)), [0, 1], [1, 1])
        for panel in panels.values():
            panel.flush()
            panel.repaint()
        qtbot.wait(10)
    np.testing.assert_array_equal(panels["confusion"].recall(), [0, 0, 0])
    assert panels["gallery"].items() == [(0, 1, True), (1, 1, False)]


def test_panels_follow_the_theme(qtbot):
    panels = all_panels()
    for key, panel in panels.items():
        qtbot.addWidget(panel)
        feed(key, panel)
    try:
        theme.apply_theme("dark")
        curves, gallery = panels["curves"], panels["gallery"]
        assert curves.loss_epoch.opts["pen"].color().name() == theme.DARK.selection
        assert curves.loss_plot.getAxis("left").textPen().color().name() == theme.DARK.text
        assert gallery.list.item(2).foreground().color().name() == theme.DARK.error
    finally:
        theme.apply_theme("light")
    assert panels["curves"].loss_epoch.opts["pen"].color().name() == theme.LIGHT.selection
