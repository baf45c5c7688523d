"""The normative definition of every positional-encoding scheme.

One module per scheme — ``sinusoidal``, ``rope``, ``alibi``, ``t5``, ``learned_absolute``, ``attention``
(softmax(s)·V with a positional bias) — holds
its exact oracle (float64 with double-double phases, mpmath where float64 is not enough); ``protocol``
defines the ops a target offers, ``targets`` loads targets, ``error_model`` derives every tolerance,
``validation`` checks every argument.
"""
