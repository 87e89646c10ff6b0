"""Campaign operations on the ledger: site sessions, registrations by priority, day plans, messages, stock."""
