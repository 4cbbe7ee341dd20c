"""Models in and out of VisNet: ONNX export and import, a PyTorch script export. Each layer type
declares its own ONNX nodes and PyTorch code (visnet/core/layers/export.py); the modules here
walk a drawing and assemble them."""
