"""Keras' two paddings of a window sliding along an axis, shared by the convolutions and pools.

'valid' keeps only the windows inside the input. 'same' gives ``ceil(size / stride)`` windows
and pads ``max((out - 1)*stride + window - size, 0)`` in all, half of it (rounded down) before
the input and the rest after it, as Keras (TensorFlow) does.
"""

from __future__ import annotations

from ..params import ParamSpec

PADDINGS = ("valid", "same")


def padding_param(axis: str = "size") -> ParamSpec:
    return ParamSpec("padding", "choice", "valid",
                     f"'valid': no padding; 'same': pad so output {axis} is input {axis} / "
                     "strides", choices=PADDINGS)


def along(size: int, window: int, stride: int, padding: str) -> tuple[int, int]:
    """``(out, pad_before)``: the number of windows along an axis of ``size`` and the padding
    before its first element."""
    if padding == "valid":
        return (size - window) // stride + 1, 0
    if padding != "same":
        raise ValueError(f"padding must be 'valid' or 'same', not {padding!r}")
    out = -(-size // stride)
    return out, max((out - 1) * stride + window - size, 0) // 2


def geometry(height: int, width: int, kh: int, kw: int, sh: int, sw: int,
             padding: str) -> tuple[int, int, int, int]:
    """``(out_h, out_w, pad_top, pad_left)`` of a 2-D window over an image."""
    out_h, top = along(height, kh, sh, padding)
    out_w, left = along(width, kw, sw, padding)
    return out_h, out_w, top, left


def pads(size: int, window: int, stride: int, padding: str) -> tuple[int, int]:
    """``(before, after)``: the padding on each side of the axis."""
    out, before = along(size, window, stride, padding)
    return before, max((out - 1) * stride + window - size - before, 0)
