"""Bug: the bias is added before the scale, softmax(scale·(q·kᵀ + b)) — Falcon's eager ALiBi ((QKᵀ + B)/√d) and
tt-metal's decode SDPA (attention.md §2 #11): every positional bias attenuated by 1/√D.

Caught by the bias-scale property (attention(q, scale=c) ≠ attention(c·q, scale=1)), the probe and the oracle."""

from tests.zoo._attention import Textbook

PLANTED = None


class BiasScaled(Textbook):
    def scores(self, q, k, scale, bias):
        return scale * (q @ k.swapaxes(-1, -2) + bias)  # BUG: the bias scaled with the scores


attention = BiasScaled().attention
