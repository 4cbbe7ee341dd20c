"""MaxPool1D(pool_size, strides): the largest value of each window of time steps, per feature."""

from . import pooling1d
from .base import LayerType
from .export import Export

MAX_POOL1D = LayerType(
    "MaxPool1D", "Pooling", "Largest value of each window of time steps, per feature.",
    pooling1d.params(), pooling1d.shape, example=({"pool_size": 2}, ((7, 3),)),
    variants=({"padding": "same"}, {"pool_size": 3, "strides": 2, "padding": "same"}),
    key_params=("pool_size", "strides", "padding"), card=pooling1d.card,
    export=Export(onnx=pooling1d.onnx(largest=True), torch=pooling1d.torch(largest=True)),
    lowering=pooling1d.lowering(largest=True, window=pooling1d.declared_window))
