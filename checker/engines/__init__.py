"""The symbolic engines (Z3): encoding, BMC, k-induction, PDR, lasso search, invariant
mining, and the portfolio that races them with the explicit engine of pyspec."""
