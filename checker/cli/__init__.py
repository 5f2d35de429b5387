"""The ``flagcheck`` command line: one module per command; ``main`` is the click group."""
