"""Where the ledger meets storage: store configuration, transcoding, settings."""
