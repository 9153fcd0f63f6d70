"""UI pages: audit (being written)."""
