"""Exports: finance tables, COPIL minutes, SDSI plan, audit certificate, open data.

Every export reads only the views (``projections.queries``) as of any moment; see
:mod:`exports.registry` for the list the CLI and the web offer, and ``docs/exports.md``.
"""
