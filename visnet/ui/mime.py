"""MIME types of what VisNet drags and copies."""

LAYER_MIME = "application/x-visnet-layer"  # a palette drag: the layer type name, UTF-8
