"""Designs checked under memory: tso (docs/language.md, section 9): kept out of specs/*.yaml until the weak-memory settings are final."""
