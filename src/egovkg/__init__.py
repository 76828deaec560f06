"""egovkg: a knowledge graph of China e-government best practices (中国电子政务最佳实践知识图谱)."""

from __future__ import annotations

__version__ = "0.1.0"
