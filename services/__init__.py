"""The typed use-case layer between the web/CLI and the ledger/projections.

One module per area (citizen, desk, certificates, trust, dashboards, audit); every function takes
typed arguments and returns dataclasses, so the web pages, the JSON API and the CLI call the same
code and mypy checks the boundary. Rules live in the ledger; a service only orchestrates.
"""
