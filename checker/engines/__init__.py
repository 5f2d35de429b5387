"""The symbolic engines (Z3): encoding, BMC, k-induction, PDR, lasso search, invariant
mining, and the portfolio that races them with the explicit engine of pyspec."""

# Before any engine makes a z3 object: z3 objects are released on the thread that owns
# their context (checker.engines.z3_threads says why).
from flagcheck.checker.engines import z3_threads  # noqa: E402,F401
