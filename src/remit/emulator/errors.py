"""Errors the emulator raises on purpose, each with the process exit code the CLI uses.

The emulator is standalone (it imports nothing from the rest of Remit), so it keeps its own small
tree; the exit codes match ``remit.errors.ExitCode`` so scripts see the same numbers.
"""

from __future__ import annotations


class EmulatorError(Exception):
    """Root of the emulator's own errors."""

    exit_code: int = 1


class PortInUse(EmulatorError, OSError):
    """The host/port the emulator should listen on is taken."""

    exit_code = 10

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"port {port} on {host} is already in use; choose another with --port, "
            "or --port 0 for any free port"
        )
        self.host = host
        self.port = port


class FixtureError(EmulatorError, ValueError):
    """A fixture file is not valid JSON or not in the fixture format."""

    exit_code = 9


class StartupError(EmulatorError):
    """The server could not start (TLS material, socket, uvicorn)."""

    exit_code = 1
