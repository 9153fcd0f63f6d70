"""UI pages: budget (being written)."""
