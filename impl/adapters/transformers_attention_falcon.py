"""Target ``transformers-attention-falcon``: Falcon's eager ALiBi path (``FalconAttention``, ``build_alibi_tensor`` with
its bfloat16 slopes × positions); everything but ALiBi is "not provided". Conventions: ``impl.adapters.transformers_attention``."""

from impl.adapters.transformers_attention import (  # noqa: F401
    ARRAY_API,
    DEVICE,
    DTYPES,
    VERSIONS,
    make_attention,
)

attention = make_attention("falcon")
