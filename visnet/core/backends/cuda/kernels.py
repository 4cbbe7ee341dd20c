"""Imports every kernel family, so that each registers the ops it runs."""

from . import (activations, conv, dense, dropout, losses, merge, norm, pool,  # noqa: F401
               recurrent, updates)
