"""Target ``liger-kernel``: Liger's Triton RoPE, ``liger_kernel.transformers.rope.liger_rotary_pos_emb`` (CUDA only).

Liger replaces Hugging Face's ``apply_rotary_pos_emb`` and takes HF's cos/sin, so:

* ``rope_apply``: cos/sin ``[1, seq, head_dim]`` from Hugging Face's ``LlamaRotaryEmbedding``
  exactly as the ``transformers`` target builds them (``impl.adapters.transformers``: HF's init
  function for ``scaling`` at ``seq_len``, float32 angles, × the attention factor, in x's dtype),
  then ``liger_rotary_pos_emb(q, k, cos, sin)`` with q = x as ``[batch, 1 head, seq, head_dim]``.
  The kernel computes in cos's dtype and pairs (i, i + head_dim/2) (rotate_half): ``layout="half"``
  only; it reads cos/sin as ``head_dim`` wide, so ``rotary_dim < head_dim`` is not provided.
  Scalers: every rope_type the ``transformers`` target offers (Liger only applies the rotation).
* In place: the kernel writes the rotated values into q's and k's storage when their physical
  layout is ``(batch, seq, heads, head_dim)`` (what HF's attention passes, and what a one-head q
  is), so the adapter passes a copy of x as q and a zero k of the same shape, and returns the
  rotated q — the protocol's result, x left as it was.
* DTYPES: float32, float16, bfloat16 (Liger's tested dtypes). No other op.
"""

from __future__ import annotations

from importlib.metadata import version

from impl.adapters import require
from spec import validation

torch = require("torch")
if not torch.cuda.is_available():
    raise ImportError("no CUDA device: liger-kernel kernels run on CUDA only")
require("liger_kernel", package="liger-kernel", extra="cuda")
require("transformers")
from liger_kernel.transformers.rope import liger_rotary_pos_emb

from impl.adapters import transformers as hf

ARRAY_API = "torch"
DEVICE = "cuda"
DTYPES = ("float32", "float16", "bfloat16")
VERSIONS = {"liger-kernel": version("liger-kernel"), "transformers": hf.transformers.__version__}


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    if layout != "half":
        raise NotImplementedError("Liger's RoPE kernel pairs (i, i + head_dim/2): half layout only")
    if rd != head_dim:
        raise NotImplementedError("Liger's RoPE kernel rotates the whole head (cos/sin are head_dim wide)")
    cos, sin = hf._cos_sin(x, positions, rd, base, config, seq_len)  # [1, seq, head_dim], x's dtype
    seq = x.shape[-2]
    q = x.reshape(-1, 1, seq, head_dim).clone()
    k = torch.zeros_like(q)
    with torch.no_grad():
        rotated, _ = liger_rotary_pos_emb(q, k, cos.contiguous(), sin.contiguous())
    return rotated.reshape(x.shape)
