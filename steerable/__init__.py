"""steerable: group-equivariant (steerable) deep learning on PyTorch.

Layers of the library, each depending only on the ones before it::

    group -> kernels -> gspaces -> nn -> models
"""
from . import group, gspaces, kernels, nn

__version__ = "0.1.0"
__all__ = ["group", "gspaces", "kernels", "nn", "__version__"]
