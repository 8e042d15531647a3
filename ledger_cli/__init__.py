"""The ``ledger`` command: a thin adapter over the application service."""
