"""UI pages: sessions (being written)."""
