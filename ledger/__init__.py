"""The event-sourced immunization ledger: one ordered log of every registration, dose and reaction."""
