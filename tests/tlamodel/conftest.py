"""Make the repository root and this folder importable (the project is not installed)."""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = str(HERE.parents[1])
for p in (ROOT, str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)
