"""The web app: REST API and server-rendered dashboard (a minimal page until the dashboard issue)."""
