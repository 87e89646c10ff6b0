"""Signing keys: CSCA and document signing certificates, encrypted key store, trust and revocation lists."""
