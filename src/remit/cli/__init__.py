"""The `remit` command line: a thin layer of Typer commands over the use cases."""
