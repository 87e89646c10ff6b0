"""`immunize simulate`: a deterministic national campaign in miniature, driven through the service layer."""
