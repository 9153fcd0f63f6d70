"""UI pages: scenarios (being written)."""
