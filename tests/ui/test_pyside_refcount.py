"""PySide6 6.12 on Python < 3.12 drops a reference to None on every Qt call returning nothing,
and a live-plotting app then dies with 'none_dealloc'. The installed PySide6 must not."""

import sys

from PySide6.QtCore import QRectF


def test_qt_calls_returning_nothing_keep_the_refcount_of_none():
    rect = QRectF(0, 0, 1, 1)
    before = sys.getrefcount(None)
    for i in range(10_000):
        rect.setHeight(float(i))
    assert sys.getrefcount(None) >= before
