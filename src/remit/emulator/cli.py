"""``remit emulator``: serve the Graph emulator, list and apply scenarios.

Mounted by the product CLI as ``remit emulator``; also ``python -m remit.emulator``. Errors print
one line to stderr and exit with the code the product uses (9 bad fixture, 10 port in use).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import ssl
import sys
from functools import partial
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from remit.emulator.errors import EmulatorError
from remit.emulator.fixture import load_fixture
from remit.emulator.model import TenantSpec
from remit.emulator.server import EmulatorServer
from remit.emulator.state import EmulatorOptions
from remit.emulator.tenants import LazyTenant, TenantState

app = typer.Typer(
    help="A local, faithful Microsoft Graph and Entra ID emulator for development and demos.",
    no_args_is_help=True,
)
scenario_app = typer.Typer(help="List scenarios, or apply one to a running emulator.")
app.add_typer(scenario_app, name="scenario")

CA_BUNDLE_ENV = "REMIT_EMULATOR_CA_BUNDLE"
PRELOAD_LIMIT = 20
TABLE_LIMIT = 20
_EXIT_USAGE, _EXIT_NOT_FOUND, _EXIT_UNAVAILABLE = 2, 5, 8


def _fail(message: str, code: int) -> NoReturn:
    print(f"error: {message}", file=sys.stderr, flush=True)
    raise typer.Exit(code)


def _synthetic_tenants(count: int, seed: int) -> list[TenantSpec | LazyTenant]:
    try:
        synthetic = importlib.import_module("remit.emulator.synthetic")
    except ImportError as exc:
        _fail(
            f"the synthetic tenant generator (remit.emulator.synthetic) is not available ({exc}); "
            "serve fixtures instead: --tenants 0 --fixture FILE",
            1,
        )
    return [
        LazyTenant(
            header=synthetic.tenant_header(index, seed),
            load=partial(synthetic.generate_tenant, index, seed),
        )
        for index in range(count)
    ]


def _summary(server: EmulatorServer) -> dict[str, Any]:
    tenants = []
    for tenant in server.state.registry:
        header = tenant.header
        tenants.append(
            {
                "tenant_id": header.tenant_id,
                "display_name": header.display_name,
                "primary_domain": header.primary_domain,
                "client_id": header.client_id,
                "client_secret": header.client_secret,
                "profile": header.profile,
                "users": tenant.user_count(),
            }
        )
    return {
        "url": server.url,
        "authority_host": server.authority_host,
        "graph_base_url": server.graph_base_url,
        "ca_bundle": str(server.ca_bundle),
        "tenants": tenants,
    }


def _print_table(server: EmulatorServer, info: dict[str, Any]) -> None:
    console = Console()
    table = Table(title=f"Graph emulator on {server.url}", show_lines=False)
    table.add_column("Tenant id", no_wrap=True, min_width=36)
    table.add_column("Domain", overflow="fold")
    table.add_column("Client id", no_wrap=True, min_width=36)
    table.add_column("Client secret", no_wrap=True, min_width=40)
    table.add_column("Profile", overflow="fold")
    table.add_column("Users", justify="right")
    shown = info["tenants"][:TABLE_LIMIT]
    for t in shown:
        users = "" if t["users"] is None else str(t["users"])
        table.add_row(
            t["tenant_id"], t["primary_domain"], t["client_id"], t["client_secret"],
            t["profile"], users,
        )  # fmt: skip
    console.print(table)
    more = len(info["tenants"]) - len(shown)
    if more:
        console.print(f"… and {more} more tenants: GET {server.url}/_emulator/tenants lists all.")
    console.print(f"Authority host: {server.authority_host}")
    console.print(f"Graph base URL: {server.graph_base_url}")
    console.print(f"CA bundle:      {server.ca_bundle}")
    console.print("\nPoint a workspace at the emulator once:", style="bold")
    console.print(
        f"  remit init --graph-url {server.graph_base_url} --authority-host "
        f"{server.authority_host} --ca-bundle {server.ca_bundle}",
        soft_wrap=True,
    )
    console.print("Then add each tenant:", style="bold")
    for t in shown:
        console.print(
            f"  remit tenant add --tenant-id {t['tenant_id']} --client-id {t['client_id']} "
            f"--client-secret '{t['client_secret']}'",
            soft_wrap=True,
            markup=False,
        )
    console.print("Ctrl-C stops the emulator.")


@app.command()
def serve(
    tenants: Annotated[int, typer.Option(min=0, help="Synthetic tenants to serve.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic tenants and fault RNG.")] = 1,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8443,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    fixture: Annotated[
        list[Path] | None, typer.Option(help="Also serve this fixture file (repeatable).")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one line of JSON (URLs, credentials) and serve.")
    ] = False,
    state_dir: Annotated[
        Path | None, typer.Option(help="Folder for ca.pem and the server key (default: temp).")
    ] = None,
    latency_ms: Annotated[int, typer.Option(min=0, help="Latency added to responses.")] = 0,
    fault_429_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of requests answered 429.")
    ] = 0.0,
    fault_5xx_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of requests answered 503.")
    ] = 0.0,
    time_scale: Annotated[
        float, typer.Option(min=0.0001, help="Emulated time speed (0.1: 10 s windows last 1 s).")
    ] = 1.0,
    no_throttling: Annotated[
        bool, typer.Option("--no-throttling", help="Turn Graph's throttling model off.")
    ] = False,
    access_log: Annotated[bool, typer.Option(help="Log every request (noisy).")] = False,
) -> None:
    """Serve Entra ID's token endpoint and Graph v1.0 over HTTPS on loopback."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.WARNING,
            stream=sys.stderr,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    sources: list[TenantSpec | LazyTenant] = []
    try:
        sources += [load_fixture(path) for path in fixture or []]
    except EmulatorError as exc:
        _fail(str(exc), exc.exit_code)
    if tenants:
        sources += _synthetic_tenants(tenants, seed)
    if not sources:
        _fail("nothing to serve: give --tenants N (N > 0) or --fixture FILE", _EXIT_USAGE)
    options = EmulatorOptions(
        time_scale=time_scale,
        throttling=not no_throttling,
        latency_ms=latency_ms,
        fault_429_rate=fault_429_rate,
        fault_5xx_rate=fault_5xx_rate,
        seed=seed,
        access_log=access_log,
    )
    try:
        server = EmulatorServer(sources, host=host, port=port, options=options, state_dir=state_dir)
    except ValueError as exc:
        _fail(str(exc), _EXIT_USAGE)
    state_list: list[TenantState] = list(server.state.registry)
    if len(state_list) <= PRELOAD_LIMIT:
        for tenant in state_list:
            tenant.ensure_loaded()
    try:
        server.start()
    except EmulatorError as exc:
        _fail(str(exc), exc.exit_code)
    info = _summary(server)
    if json_output:
        sys.stdout.write(json.dumps(info, separators=(",", ":")) + "\n")
        sys.stdout.flush()
    else:
        _print_table(server, info)
    server.serve_forever()


def _scenarios() -> Any:
    try:
        return importlib.import_module("remit.emulator.scenarios").SCENARIOS
    except ImportError as exc:
        _fail(f"scenarios are not available in this build ({exc})", 1)


@scenario_app.command("list")
def scenario_list() -> None:
    """List the scenarios the emulator can apply."""
    table = Table(title="Emulator scenarios")
    table.add_column("Name")
    table.add_column("What it does")
    for scenario in _scenarios().values():
        table.add_row(scenario.name, scenario.summary)
    Console().print(table)


@scenario_app.command("apply")
def scenario_apply(
    name: Annotated[str, typer.Argument(help="Scenario name (see `scenario list`).")],
    tenant: Annotated[str, typer.Option(help="Tenant id or domain.")],
    url: Annotated[str, typer.Option(help="The running emulator.")] = "https://127.0.0.1:8443",
    ca_bundle: Annotated[
        Path | None,
        typer.Option(envvar=CA_BUNDLE_ENV, help="ca.pem the emulator printed at start."),
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option(help="Scenario parameter as key=value (repeatable).")
    ] = None,
) -> None:
    """Apply a scenario to a tenant of a running emulator (delta queries will see the change)."""
    import httpx  # only this command talks HTTP

    params: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(f"--param {item!r}: write it as key=value", _EXIT_USAGE)
        params[key] = value
    if ca_bundle is None:
        _fail(
            f"give --ca-bundle (the ca.pem path `remit emulator serve` printed) or set "
            f"{CA_BUNDLE_ENV}",
            _EXIT_USAGE,
        )
    if not ca_bundle.is_file():
        _fail(f"--ca-bundle {ca_bundle}: no such file", _EXIT_USAGE)
    verify = ssl.create_default_context(cafile=os.fspath(ca_bundle))
    endpoint = f"{url.rstrip('/')}/_emulator/tenants/{tenant}/scenarios/{name}"
    try:
        with httpx.Client(verify=verify, trust_env=False, timeout=60) as client:
            response = client.post(endpoint, json=params)
    except httpx.HTTPError as exc:
        _fail(f"cannot reach the emulator at {url}: {exc}", _EXIT_UNAVAILABLE)
    try:
        body = response.json()
    except ValueError:
        body = {"error": response.text}
    if response.status_code == 404:
        _fail(body.get("error", "not found"), _EXIT_NOT_FOUND)
    if response.status_code >= 400:
        code = _EXIT_USAGE if response.status_code == 400 else 1
        _fail(body.get("error", f"HTTP {response.status_code}"), code)
    print(body["description"])
