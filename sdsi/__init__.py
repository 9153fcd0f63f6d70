"""SDSI Ledger: event-sourced governance ledger for a municipality's IT master plan."""

__version__ = "0.1.0"
