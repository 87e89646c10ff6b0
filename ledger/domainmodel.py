"""Aggregates and events of the immunization ledger (no framework, no crypto, no database)."""
