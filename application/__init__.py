"""The application layer: load a contract, call the aggregate, save — plus idempotency, numbering and audit."""
