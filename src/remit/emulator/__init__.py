"""A local, faithful Microsoft Graph emulator for development, tests and demos.

Standalone: it imports nothing from the rest of Remit, and the product never imports it.

Entry points: :class:`remit.emulator.server.EmulatorServer` (tests, demos), the Typer app
``remit.emulator.cli.app`` (``remit emulator ...`` / ``python -m remit.emulator``) and
:func:`remit.emulator.fixture.load_fixture`. The pieces: ``tls`` (throwaway CA), ``auth``
(Entra's token endpoint), ``graph``/``resources``/``odata``/``filter``/``delta``/``batch`` (Graph
v1.0), ``endpoints``/``refusals`` (permissions, licences, wording), ``throttling``, ``faults``,
``control`` (``/_emulator``), ``tenants`` (data, indexes, change versions), ``state``/``clock``.
"""
