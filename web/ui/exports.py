"""UI pages: exports (being written)."""
