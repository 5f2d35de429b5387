"""Mutation testing of designs against their scenarios (``flagcheck mutate``).

Why: a CI gate is only as strong as its scenarios.  A design that is ``proved`` on every
scenario may still be proved with a classic flag-protocol bug seeded into it (a flag
cleared after the work it guards instead of before, a wake-up dropped); if so, the
scenarios could not have caught that bug in a proposal either.  This package seeds such
bugs into the design's syntax trees (``operators``), picks the definitions the scenarios
reach (``targets``), checks each mutant with the engines ``checker.verify`` runs and says
whether some scenario kills it (``run``).

Mutants are made on tlamodel's syntax trees (``tlamodel.syntax_tree``) after ``extends``
is merged, so the design's own code and the library code it inherits are mutated alike,
and nothing in tlamodel has to know about mutation.
"""
