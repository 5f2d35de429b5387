"""Designs checked under memory: tso (issue 18): kept out of specs/*.yaml until the weak-memory settings are final."""
