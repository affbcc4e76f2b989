"""FastAPI app: a JSON API over the workspace and a minimal HTML overview page.

The dashboard proper arrives with its own issue; this page lists tenants, their last snapshot
and their last assessment so `remit demo` has something to show. It reads the database only,
never Graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from functools import cache
from html import escape
from importlib import resources
from string import Template
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.orm import Session

from remit import __version__
from remit.errors import NotFound, RemitError
from remit.inventory.summary import summarize
from remit.store.tenants import TenantInfo
from remit.workspace import Workspace


@cache
def _template() -> Template:
    return Template((resources.files("remit.web") / "overview.html").read_text(encoding="utf-8"))


def _row(workspace: Workspace, session: Session, tenant: TenantInfo) -> dict[str, Any]:
    """A tenant and a summary of its last usable snapshot (never its credentials)."""
    repo = workspace.snapshots(session, tenant)
    last = repo.latest_usable()
    row: dict[str, Any] = {
        "name": tenant.name,
        "tenant_id": tenant.tenant_id,
        "display_name": tenant.display_name,
        "primary_domain": tenant.primary_domain,
        "snapshot": None,
        "assessment": None,
    }
    run = workspace.assessments(session, tenant).latest()
    if run is not None:
        row["assessment"] = {
            "run_id": run.id,
            "evaluated_at": run.evaluated_at.isoformat(),
            "score": run.score,
            "coverage": run.coverage,
            "counts": run.counts,
        }
    if last is not None:
        summary = summarize(repo.load(last.id))
        row["snapshot"] = {
            "id": last.id,
            "status": last.status.value,
            "finished_at": last.finished_at.isoformat(),
            "http_requests": last.http_requests,
            "summary": asdict(summary),
        }
    return row


def _overview(workspace: Workspace) -> Iterator[dict[str, Any]]:
    # A read-only session: the dashboard never waits for (or blocks) a collection's writes.
    with workspace.session(write=False) as session:
        for tenant in workspace.tenants(session).list():
            yield _row(workspace, session, tenant)


def _cell(value: object) -> str:
    if value is None:
        return "<td class=na>n/a</td>"
    if isinstance(value, bool):
        return f"<td>{'on' if value else 'off'}</td>"
    return f"<td>{escape(str(value))}</td>"


def _page(rows: list[dict[str, Any]]) -> str:
    body = []
    for row in rows:
        snap = row["snapshot"] or {}
        summary = snap.get("summary") or {}
        run = row["assessment"] or {}
        body.append(
            "<tr>"
            + _cell(row["name"])
            + _cell(row["display_name"])
            + _cell(row["primary_domain"])
            + _cell(snap.get("status", "never"))
            + _cell(summary.get("users"))
            + _cell(summary.get("global_admins"))
            + _cell(summary.get("ca_policies_enabled"))
            + _cell(summary.get("security_defaults"))
            + _cell(summary.get("mfa_registered_percent"))
            + _cell(run.get("score"))
            + _cell((run.get("counts") or {}).get("FAIL"))
            + "</tr>"
        )
    return _template().substitute(rows="".join(body), version=escape(__version__))


def create_app(workspace: Workspace) -> FastAPI:
    app = FastAPI(title="Remit", version=__version__)

    @app.exception_handler(RemitError)
    async def problem(_: Request, exc: RemitError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFound) else 500
        return JSONResponse(
            {
                "type": "about:blank",
                "title": type(exc).__name__,
                "detail": str(exc),
                "status": status,
                "exit_code": int(exc.exit_code),
            },
            status_code=status,
            media_type="application/problem+json",
        )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/tenants")
    def tenants() -> list[dict[str, Any]]:
        return list(_overview(workspace))

    @app.get("/api/tenants/{tenant}")
    def one_tenant(tenant: str) -> dict[str, Any]:
        """One tenant by name, id or domain; an unknown one is a 404 problem document."""
        with workspace.session(write=False) as session:
            return _row(workspace, session, workspace.tenants(session).get(tenant))

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return _page(list(_overview(workspace)))

    return app
