"""The Qt-free heart of VisNet: the document, the layer catalogue, shapes and files."""
