"""Tests of the Graph emulator (remit.emulator)."""
