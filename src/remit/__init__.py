"""Remit: the customer's side of the Microsoft 365 shared-responsibility model, for MSPs."""

__version__ = "0.1.0"
