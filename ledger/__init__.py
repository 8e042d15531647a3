"""The domain: the Contract aggregate, its events, money, dates, the hash chain and the errors."""
