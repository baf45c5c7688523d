"""Implementations under test: the project's own references and third-party adapters.

``reference.ArrayBackend`` is one implementation of the whole protocol over the array API
(array-api-compat), bound to NumPy in ``numpy_ref`` and to torch in ``torch_ref`` (CPU) and
``torch_cuda_ref``. Nothing here imports the oracle; validation is shared with ``spec.validation``
so errors read the same everywhere. ``adapters`` exposes third-party libraries through the same
protocol (one module per library, selected by name: ``--target transformers``).
"""
