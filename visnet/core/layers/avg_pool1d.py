"""AvgPool1D(pool_size, strides): the mean of each window of time steps, per feature."""

from . import pooling1d
from .base import LayerType
from .export import Export

AVG_POOL1D = LayerType(
    "AvgPool1D", "Pooling", "Mean of each window of time steps, per feature.",
    pooling1d.params(), pooling1d.shape, example=({"pool_size": 3, "strides": 2}, ((8, 3),)),
    variants=({"padding": "same"}, {"pool_size": 3, "strides": 2, "padding": "same"}),
    key_params=("pool_size", "strides", "padding"), card=pooling1d.card,
    export=Export(onnx=pooling1d.onnx(largest=False), torch=pooling1d.torch(largest=False)),
    lowering=pooling1d.lowering(largest=False, window=pooling1d.declared_window))
