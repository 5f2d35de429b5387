"""``python -m flagcheck.checker.cli``: the same as the ``flagcheck`` script."""
from flagcheck.checker.cli.main import main

main()
