"""Bug: the T5 path uses the kernel's default scale 1/√D whatever ``scale`` says — T5 has no 1/√d, and kernels that
default to it must be told scale=1.0 (Hugging Face's T5 SDPA PRs, attention.md §2 #12).

Caught by the oracle (scale=1.0 drawn for T5) and the bias-scale property."""

import math

from tests.zoo._attention import Textbook

PLANTED = None


class T5Scaled(Textbook):
    def scale(self, args, bias):
        return 1 / math.sqrt(args.head_dim) if bias == "t5" else args.scale  # BUG: the default scale for T5


attention = T5Scaled().attention
