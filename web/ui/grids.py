"""UI pages: grids (being written)."""
