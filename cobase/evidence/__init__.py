"""The effective-access evidence engine: :func:`assess` and its typed result."""

from cobase.evidence.engine import assess
from cobase.evidence.model import (
    DIMENSIONS,
    Assessment,
    Contradiction,
    Dimension,
    Evidence,
    Gap,
    Trend,
)

__all__ = ["DIMENSIONS", "Assessment", "Contradiction", "Dimension", "Evidence", "Gap", "Trend", "assess"]
