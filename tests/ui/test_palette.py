from PySide6.QtCore import Qt

from visnet.core.layers import CATALOGUE, CATEGORIES
from visnet.ui.palette import LAYER_MIME, PaletteDock


def make_palette(qtbot):
    palette = PaletteDock()
    qtbot.addWidget(palette)
    return palette


def test_the_tree_holds_every_layer_type_under_its_category_in_order(qtbot):
    palette = make_palette(qtbot)
    tree = palette.tree
    headings = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert headings == list(CATEGORIES)
    found = {}
    for i in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(i)
        for j in range(group.childCount()):
            found[group.child(j).text(0)] = group.text(0)
    assert found == {name: t.category for name, t in CATALOGUE.items()}
    assert palette.item_for("Dense").toolTip(0) == CATALOGUE["Dense"].summary
    assert palette.windowTitle() == "Layers"
    assert palette.search.placeholderText() == "Search layers (Ctrl+F)"


def test_search_matches_name_category_and_description_and_hides_empty_categories(qtbot):
    palette = make_palette(qtbot)
    palette.search.setText("conv")
    shown = palette.visible_layers()
    assert "Conv2D" in shown and "Dense" not in shown
    assert palette.category_item("Core").isHidden()
    assert not palette.category_item("Convolution").isHidden()

    palette.search.setText("POOL")  # case does not matter; the category name matches too
    assert set(palette.visible_layers()) == {"MaxPool2D", "AvgPool2D", "GlobalAvgPool2D",
                                             "MaxPool1D", "AvgPool1D", "GlobalAvgPool1D"}

    palette.search.setText("residual")  # only Add's description says it
    assert palette.visible_layers() == ["Add"]

    palette.search.setText("no such layer")
    assert palette.visible_layers() == []
    assert all(palette.tree.topLevelItem(i).isHidden()
               for i in range(palette.tree.topLevelItemCount()))

    palette.search.clear()
    assert sorted(palette.visible_layers()) == sorted(CATALOGUE)


def test_a_drag_carries_the_layer_type_name(qtbot):
    palette = make_palette(qtbot)
    mime = palette.mime_data_for("Dense")
    assert LAYER_MIME == "application/x-visnet-layer"
    assert mime.formats() == [LAYER_MIME]
    assert bytes(mime.data(LAYER_MIME)).decode("utf-8") == "Dense"
    assert palette.item_for("Dense").flags() & Qt.ItemFlag.ItemIsDragEnabled
    assert not palette.category_item("Core").flags() & Qt.ItemFlag.ItemIsDragEnabled


def test_double_click_and_enter_ask_for_the_layer(qtbot):
    palette = make_palette(qtbot)
    palette.show()
    qtbot.waitExposed(palette)
    tree = palette.tree
    item = palette.item_for("Dense")
    tree.scrollToItem(item)
    centre = tree.visualItemRect(item).center()
    with qtbot.waitSignal(palette.layer_activated) as blocker:
        # A double click is a click and then a press that the system marks as double.
        qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=centre)
        qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert blocker.args == ["Dense"]

    tree.setCurrentItem(palette.item_for("LSTM"))
    with qtbot.waitSignal(palette.layer_activated) as blocker:
        qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert blocker.args == ["LSTM"]

    palette.search.setText("gru")  # Enter in the search box takes the first match
    with qtbot.waitSignal(palette.layer_activated) as blocker:
        qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert blocker.args == ["GRU"]


def test_a_category_heading_asks_for_nothing(qtbot):
    palette = make_palette(qtbot)
    with qtbot.assertNotEmitted(palette.layer_activated):
        palette.tree.itemActivated.emit(palette.category_item("Core"), 0)


def test_focus_search_selects_the_query(qtbot):
    palette = make_palette(qtbot)
    palette.show()
    palette.activateWindow()
    palette.search.setText("dense")
    palette.focus_search()
    assert palette.search.selectedText() == "dense"
