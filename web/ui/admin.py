"""UI pages: admin (being written)."""
