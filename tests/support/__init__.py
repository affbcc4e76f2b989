"""Helpers shared by every test package (CSDL validation of Graph-shaped payloads, ...)."""
