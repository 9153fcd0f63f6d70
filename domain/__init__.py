"""The SDSI governance domain: aggregates, their events and their rules.

Imports only the standard library and ``eventsourcing.domain``.
"""
