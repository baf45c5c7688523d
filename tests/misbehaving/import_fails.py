"""Misbehaves: the module raises while it is imported (a missing native library).

Expected: every property "unavailable" with the import error as the reason; the run exits 1 (it was requested)."""

raise OSError("libfused_rope.so: cannot open shared object file")
