"""The Trainer: templates learn their datasets, controls from another thread, early stopping,
the NaN guard, and checkpoints that continue a run exactly."""

import threading
import time

import numpy as np
import pytest

import visnet
from visnet.core import data
from visnet.core.generate import sample_text
from visnet.core.training import (BatchEnd, Checkpoint, EpochEnd, Failed, Finished, Snapshot,
                                  Trainer, TrainingError)
from visnet.resources import template_path


def template(name):
    return visnet.load(template_path(name)).graph


def run_all(trainer):
    return list(trainer.run())


def epochs_of(events):
    return [e for e in events if isinstance(e, EpochEnd)]


def last_metrics(events):
    return epochs_of(events)[-1].metrics


# -- templates learn ----------------------------------------------------------------------------

def test_spiral_mlp_reaches_97_percent_validation_accuracy():
    g = template("spiral_mlp")
    events = run_all(Trainer(visnet.compile(g), data.load(g.dataset)))
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert last_metrics(events)["val_accuracy"] >= 0.97


def test_digits_cnn_reaches_95_percent_within_20_epochs():
    g = template("digits_cnn")
    assert g.training.epochs <= 20
    events = run_all(Trainer(visnet.compile(g), data.load(g.dataset)))
    m = last_metrics(events)
    assert m["val_accuracy"] >= 0.95
    assert len(m["val_confusion"]) == 10 and sum(map(sum, m["val_confusion"])) == 359
    assert 0.9 < m["val_f1"] <= 1.0 and 0.9 < m["val_precision"] <= 1 and m["val_recall"] > 0.9


def test_sine_lstm_reaches_a_validation_mse_of_one_hundredth():
    g = template("sine_lstm")
    ds = data.load(g.dataset)
    assert np.abs(ds.y_train).max() <= 1.0
    m = last_metrics(run_all(Trainer(visnet.compile(g), ds)))
    assert m["val_mse"] <= 0.01 and m["val_loss"] <= 0.01
    assert "val_mae" in m and "accuracy" not in m


def test_char_rnn_beats_the_character_frequencies_by_far():
    g = template("char_rnn")
    ds = data.load(g.dataset)
    counts = np.bincount(ds.y_train.reshape(-1), minlength=ds.n_classes) + 1.0
    freq = counts / counts.sum()
    unigram_loss = float(-np.log(freq[ds.y_val.reshape(-1)]).mean())
    model = visnet.compile(g)
    m = last_metrics(run_all(Trainer(model, ds, epochs=3)))
    assert m["val_loss"] < 0.7 * unigram_loss, (m["val_loss"], unigram_loss)
    text = sample_text(model, ds, prompt="the fox ", length=80, seed=1)
    assert text.startswith("the fox ") and len(text) == 88
    assert set(text) <= set(ds.extras["alphabet"])
    assert sample_text(model, ds, prompt="the fox ", length=80, seed=1) == text


# -- events and metrics -------------------------------------------------------------------------

def small_run(**kw):
    g = template("spiral_mlp")
    ds = data.load("spiral?samples=200")
    return Trainer(visnet.compile(g, backend=kw.pop("backend", "cpu")), ds, **kw)


def test_a_short_run_is_snapshotted_often_and_at_its_end(monkeypatch):
    from visnet.core import training

    monkeypatch.setattr(training, "MIN_SNAPSHOT_SECONDS", 0.0)
    run_all(small_run(epochs=1, snapshot_every=None))  # kernels loaded: a steady pace
    events = run_all(small_run(epochs=3, batch_size=32, snapshot_every=60.0))
    snaps = [e for e in events if isinstance(e, Snapshot)]
    # 15 batches take far less than 200 snapshot intervals of a minute: the pace decides
    assert len(snaps) >= 10 and [s.step for s in snaps] == sorted({s.step for s in snaps})
    assert snaps[-1].step == 15 and isinstance(events[-1], Finished)


def test_a_run_ends_with_a_snapshot_of_its_last_step(monkeypatch):
    from visnet.core import training

    monkeypatch.setattr(training, "MIN_SNAPSHOT_SECONDS", 30.0)  # none while it runs
    events = run_all(small_run(epochs=2, batch_size=32, snapshot_every=60.0))
    (snap,) = [e for e in events if isinstance(e, Snapshot)]
    assert snap.step == 10 and snap.epoch == 2 and events[-2] is snap


def test_without_snapshots_none_comes():
    events = run_all(small_run(epochs=1, batch_size=32, snapshot_every=None))
    assert not [e for e in events if isinstance(e, Snapshot)]


def test_events_count_batches_epochs_and_steps():
    trainer = small_run(epochs=3, batch_size=32, snapshot_every=0.0)
    events = run_all(trainer)
    batches = [e for e in events if isinstance(e, BatchEnd)]
    assert len(batches) == 3 * 5 and batches[-1].step == 15 and batches[-1].batches == 5
    assert [e.epoch for e in epochs_of(events)] == [1, 2, 3]
    snaps = [e for e in events if isinstance(e, Snapshot)]
    assert snaps and set(snaps[0].gradient_norms) == {"n2", "n3", "n4"}
    assert set(snaps[0].dead_relu) == {"n2", "n3"}
    fin = events[-1]
    assert isinstance(fin, Finished) and fin.epochs_done == 3
    assert len(fin.history["epochs"]) == 3 and fin.history["batches"]["step"][-1] == 15
    with pytest.raises(Exception):
        fin.reason = "changed"  # events are immutable


def test_a_dataset_that_does_not_fit_fails_before_the_first_batch():
    g = template("mnist_mlp")
    with pytest.raises(data.DataError, match=r"set the Input's shape to \[1, 8, 8\]"):
        next(Trainer(visnet.compile(g), data.load("digits")).run())


# -- controls from another thread ---------------------------------------------------------------

def test_pause_step_resume_and_stop_from_a_second_thread():
    trainer = small_run(epochs=1000, batch_size=8)
    seen = []
    done = threading.Event()

    def consume():
        for ev in trainer.run():
            seen.append(ev)
        done.set()

    worker = threading.Thread(target=consume)
    worker.start()
    try:
        while not any(isinstance(e, BatchEnd) for e in seen):
            time.sleep(0.005)
        trainer.pause()
        time.sleep(0.1)  # let the batch in flight finish
        n = len(seen)
        time.sleep(0.2)
        assert len(seen) == n, "batches went on while paused"
        before = sum(isinstance(e, BatchEnd) for e in seen)
        trainer.step()
        deadline = time.time() + 5
        while sum(isinstance(e, BatchEnd) for e in seen) == before and time.time() < deadline:
            time.sleep(0.005)
        time.sleep(0.1)
        assert sum(isinstance(e, BatchEnd) for e in seen) == before + 1
        # a call queued while paused runs on the training thread, between batches
        ran_on = []
        trainer.call_soon(lambda: ran_on.append(threading.current_thread()))
        deadline = time.time() + 5
        while not ran_on and time.time() < deadline:
            time.sleep(0.005)
        assert ran_on == [worker]
        trainer.resume()
        time.sleep(0.1)
        assert sum(isinstance(e, BatchEnd) for e in seen) > before + 1
        trainer.stop()
        assert done.wait(5)
    finally:
        trainer.stop()
        worker.join(5)
    assert isinstance(seen[-1], Finished) and seen[-1].reason == "stopped"


def test_learning_rate_changes_while_paused_and_the_state_carries_on():
    trainer = small_run(epochs=2, batch_size=50)
    events = trainer.run()
    next(events)  # one batch
    step = trainer.model.optimizer.step
    trainer.set_optimizer({"lr": 0.5})
    for _ in events:
        pass
    assert trainer.model.optimizer.settings["lr"] == 0.5
    assert trainer.model.optimizer.step == step + 7  # 8 batches in all, the state went on


# -- early stopping and the NaN guard -----------------------------------------------------------

def test_early_stopping_restores_the_best_weights():
    g = template("spiral_mlp")
    g.set_training(g.training.updated(optimizer={"type": "sgd", "lr": 0.5}))
    model = visnet.compile(g)
    trainer = Trainer(model, data.load("spiral?samples=200&noise=0.3"), epochs=200,
                      batch_size=8, early_stopping=3)
    weights_at = {}
    events = []
    for ev in trainer.run():
        events.append(ev)
        if isinstance(ev, EpochEnd):
            weights_at[ev.epoch] = model.get_weights()
    fin = events[-1]
    assert fin.reason == "early_stopping" and fin.epochs_done < 200
    losses = {e.epoch: e.metrics["val_loss"] for e in epochs_of(events)}
    best = min(losses, key=losses.get)
    assert fin.best_epoch == best and fin.epochs_done == best + 3
    for k, w in model.get_weights().items():
        np.testing.assert_array_equal(w, weights_at[best][k])


def test_a_huge_learning_rate_trips_the_nan_guard_which_names_a_layer_and_restores_weights():
    g = template("sine_lstm")
    g.set_training(g.training.updated(optimizer={"type": "sgd", "lr": 10, "momentum": 0.9}))
    model = visnet.compile(g)
    trainer = Trainer(model, data.load("sine?samples=200"), epochs=20, batch_size=16)
    events = run_all(trainer)
    failed = events[-1]
    assert isinstance(failed, Failed)
    assert failed.node_id in g.nodes and g.nodes[failed.node_id].label in failed.message
    assert "lower learning rate" in failed.message
    for w in model.get_weights().values():
        assert np.isfinite(w).all()
    good_batches = [e for e in events if isinstance(e, BatchEnd)]
    assert trainer.model.optimizer.step <= len(good_batches)


def test_early_stopping_needs_validation_data_for_val_metrics():
    g = template("spiral_mlp")
    ds = data.load("spiral?validation=0")
    with pytest.raises(TrainingError, match="no validation data"):
        Trainer(visnet.compile(g), ds, early_stopping=2, monitor="val_loss")
    trainer = Trainer(visnet.compile(g), ds, early_stopping=2, epochs=3)
    assert trainer.monitor == "loss"
    assert "val_loss" not in last_metrics(run_all(trainer))


# -- checkpoints --------------------------------------------------------------------------------

def sequential(*layers):
    g = visnet.Graph()
    ids = [g.add(t, **p) for t, p in layers]
    for a, b in zip(ids, ids[1:]):
        g.connect(a, b)
    return g


def without_seconds(history):
    return [{k: v for k, v in e.items() if k != "seconds"} for e in history["epochs"]]


@pytest.mark.parametrize("stop_after_batches", [None, 7])
def test_checkpoint_then_resume_equals_the_unbroken_run(tmp_path, stop_after_batches):
    g = sequential(("Input", {"shape": [1, 8, 8]}),
                   ("Conv2D", {"filters": 4, "kernel_size": 3, "activation": "relu"}),
                   ("MaxPool2D", {}), ("Flatten", {}), ("Dropout", {"rate": 0.2}),
                   ("Dense", {"units": 10}), ("Loss", {"kind": "cross_entropy"}))
    ds = data.load("digits")
    kw = dict(epochs=4, batch_size=64)

    straight = Trainer(visnet.compile(g, backend="serial"), ds, **kw)
    ref = run_all(straight)[-1]

    first = Trainer(visnet.compile(g, backend="serial"), ds, epochs=2, batch_size=64)
    events = first.run()
    for ev in events:
        if stop_after_batches and isinstance(ev, BatchEnd) and ev.epoch == 2 and \
                ev.batch == stop_after_batches:
            first.stop()
    cp = first.checkpoint()
    path = tmp_path / "run.visnet"
    visnet.save(path, g, cp.weights, cp.history, (cp.state(), cp.arrays()))
    doc = visnet.load(path)
    state, arrays = doc.checkpoint
    resumed_cp = Checkpoint.from_parts(state, arrays, doc.weights, doc.history)
    assert resumed_cp.epoch == (1 if stop_after_batches else 2)
    second = Trainer(visnet.compile(g, backend="serial", seed=99), ds, resume=resumed_cp, **kw)
    fin = run_all(second)[-1]
    assert isinstance(fin, Finished) and fin.epochs_done == 4
    assert without_seconds(fin.history) == without_seconds(ref.history)
    assert fin.history["batches"] == ref.history["batches"]
    a, b = straight.model.get_weights(), second.model.get_weights()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
