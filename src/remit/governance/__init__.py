"""Governance: the control map (RACI, objectives, approved access, exceptions), layered
baselines and their revisions, drift against what was approved, change events and reviews.

Pure: no Graph or database I/O here (import-linter enforces it); the store persists these
documents and the use cases feed them snapshots.
"""
