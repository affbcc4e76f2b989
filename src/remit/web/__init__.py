"""The web app: REST API and server-rendered dashboard (a minimal page for now)."""
