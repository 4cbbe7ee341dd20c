"""Layer health while training: which layers get flagged (vanishing or exploding gradients,
dead ReLUs, saturated outputs), badges that do not flicker, and where a gradient norm sits
among the layers' for the canvas's tint."""

import pytest

from visnet.core.health import HealthTracker, assess, norm_colour_position

HEALTHY_NORMS = {"a": 0.05, "b": 0.2, "c": 0.01}


def kinds(found, node_id):
    return [b.kind for b in found.get(node_id, [])]


# -- which layers get flagged ---------------------------------------------------------------


def test_a_layer_whose_gradient_is_a_billionth_of_the_others_is_vanishing():
    found = assess({"a": 1.0, "b": 0.9, "c": 1e-9}, {}, {})
    assert set(found) == {"c"}
    badge = found["c"][0]
    assert badge.kind == "vanishing" and badge.severity == "warning"
    assert badge.text == "vanishing gradient"
    assert "1.0e-09" in badge.detail and "median" in badge.detail


def test_vanishing_needs_a_second_layer_to_compare_with_unless_it_is_tiny_outright():
    assert assess({"a": 1e-4}, {}, {}) == {}  # small, but nothing to compare with
    assert kinds(assess({"a": 1e-4, "b": 1.0, "c": 1.0}, {}, {}), "a") == ["vanishing"]
    assert kinds(assess({"a": 3e-8}, {}, {}), "a") == ["vanishing"]  # below 1e-6 absolute


def test_exploding_gradients_are_flagged_outright_and_against_the_median():
    found = assess({"a": 1.0, "b": 0.9, "c": 5e3}, {}, {})
    assert set(found) == {"c"} and kinds(found, "c") == ["exploding"]
    assert found["c"][0].text == "exploding gradient" and "5.0e+03" in found["c"][0].detail
    relative = assess({"a": 1e-3, "b": 2e-3, "c": 1e-3, "d": 50.0}, {}, {})
    assert kinds(relative, "d") == ["exploding"] and "x the median" in relative["d"][0].detail
    assert kinds(assess({"a": float("inf"), "b": 1.0}, {}, {}), "a") == ["exploding"]


def test_dead_relus_and_saturated_outputs_from_half_of_the_layer():
    found = assess(HEALTHY_NORMS, {"a": 0.8, "b": 0.3}, {"c": 0.7, "b": 0.1})
    assert kinds(found, "a") == ["dead_relu"] and "80%" in found["a"][0].detail
    assert kinds(found, "c") == ["saturated"] and "70%" in found["c"][0].detail
    assert "b" not in found
    assert kinds(assess({}, {"a": 0.5}, {"a": 0.5}), "a") == ["dead_relu", "saturated"]


def test_healthy_numbers_flag_nothing():
    assert assess(HEALTHY_NORMS, {"a": 0.0, "b": 0.1}, {"c": 0.2}) == {}
    assert assess(None, None, None) == {}
    assert assess({"a": 0.0}, {}, {}) != {}  # no gradient at all is not healthy


def test_weight_norms_only_add_scale_to_the_detail():
    plain = assess({"a": 1.0, "b": 1e-9}, {}, {})
    with_weights = assess({"a": 1.0, "b": 1e-9}, {}, {}, weight_norms={"b": 4.2})
    assert kinds(plain, "b") == kinds(with_weights, "b") == ["vanishing"]
    assert "4.2e+00" in with_weights["b"][0].detail


def test_badges_appear_after_two_sightings_and_go_after_two_absences():
    tracker = HealthTracker()
    sick, well = {"a": 1.0, "b": 0.9, "c": 1e-9}, {"a": 1.0, "b": 0.9, "c": 0.5}
    assert tracker.update(sick, {}, {}) == {}  # once could be noise
    assert kinds(tracker.update(sick, {}, {}), "c") == ["vanishing"]
    assert kinds(tracker.update(well, {}, {}), "c") == ["vanishing"]  # one good batch: stays
    assert kinds(tracker.update(sick, {}, {}), "c") == ["vanishing"]
    assert kinds(tracker.update(well, {}, {}), "c") == ["vanishing"]
    assert tracker.update(well, {}, {}) == {}  # two in a row: gone
    # a sighting, an absence, a sighting: never two in a row, never shown
    assert tracker.update(sick, {}, {}) == {}
    assert tracker.update(well, {}, {}) == {}
    assert tracker.update(sick, {}, {}) == {}


def test_a_measurement_that_leaves_a_layer_out_does_not_count_as_an_absence():
    tracker = HealthTracker()
    tracker.update(HEALTHY_NORMS, {}, {"c": 0.9})
    tracker.update(HEALTHY_NORMS, {}, {"c": 0.9})
    # gradient snapshots carry no saturation figures: the saturated badge stays
    for _ in range(3):
        assert kinds(tracker.update(HEALTHY_NORMS, {}, None), "c") == ["saturated"]
    tracker.update(HEALTHY_NORMS, {}, {"c": 0.1})
    assert tracker.update(HEALTHY_NORMS, {}, {"c": 0.1}) == {}
    tracker.update(HEALTHY_NORMS, {"a": 0.9}, None)
    tracker.update(HEALTHY_NORMS, {"a": 0.9}, None)
    tracker.reset()
    assert tracker.badges == {}


def test_norm_colour_position_runs_from_the_smallest_to_the_largest_on_a_log_scale():
    norms = [1e-4, 1e-2, 1.0]
    assert norm_colour_position(1e-4, norms) == 0.0
    assert norm_colour_position(1.0, norms) == 1.0
    assert norm_colour_position(1e-2, norms) == pytest.approx(0.5)
    assert norm_colour_position(0.3, [0.3, 0.3, 0.3]) == 0.5
    assert norm_colour_position(0.3, [0.3]) == 0.5
    assert norm_colour_position(0.0, norms) == 0.0
    assert norm_colour_position(10.0, norms) == 1.0  # clamped
