"""The test suite: a package, so its helpers import one way (``tests.<folder>.<module>``)."""
