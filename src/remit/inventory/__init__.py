"""Configuration snapshots of tenants: what to read from Graph, how, and where it is kept."""
