"""The `immunize` command line: the top layer, over web, projections, ledger, credentials and keys."""
