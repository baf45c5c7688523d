"""Target ``transformers-attention-mpt``: MPT's eager ALiBi path (``MptAttention`` with ``build_mpt_alibi_tensor``:
slopes·(k − S + 1) in float32); everything but ALiBi is "not provided". Conventions: ``impl.adapters.transformers_attention``."""

from impl.adapters.transformers_attention import (  # noqa: F401
    ARRAY_API,
    DEVICE,
    DTYPES,
    VERSIONS,
    make_attention,
)

attention = make_attention("mpt")
