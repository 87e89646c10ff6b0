"""Blueprints, one per area: public, auth, citizen, staff desk, province, operations, audit, JSON API."""
