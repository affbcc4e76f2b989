"""A local, faithful Microsoft Graph emulator for development, tests and demos.

Standalone: it imports nothing from the rest of Remit, and the product never imports it.
"""
