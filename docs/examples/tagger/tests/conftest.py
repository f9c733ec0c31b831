import sys
from pathlib import Path

# the example is not installed by `make test`: make its module importable for its own tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
