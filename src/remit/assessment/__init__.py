"""The assessment use case: evaluate tenants' snapshots against the catalogue, keep the history."""
