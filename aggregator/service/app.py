"""The HTTP API the portal calls (FastAPI; OpenAPI at ``/docs``): submit, follow, resume, extend and deliver
requests, download a delivered package through a signed link, and ``/health``."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from aggregator import __version__
from aggregator.api import new_request_id
from aggregator.errors import DeliveryRefused, InputError, RegisterError, RequestBusy, UnknownRequest
from aggregator.service import links
from aggregator.service.auth import BearerAuth
from aggregator.service.jobs import ACTOR, EmbeddedJobs, QueueJobs, Runtime
from aggregator.subject import Subject

log = logging.getLogger("aggregator.service")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class NewRequest(BaseModel):
    """``POST /requests``: the request as the portal received it."""

    type: Literal["access", "portability", "erasure"] = "access"
    email: str = Field(max_length=320)
    customer_number: str | None = Field(default=None, max_length=64)
    received_at: datetime | None = Field(default=None, description="when the request arrived (with a time zone); "
                                                                   "default: now")
    id: str | None = Field(default=None, description="the portal's own request id; default: generated")


class Extension(BaseModel):
    """``POST /requests/{id}/extend``: Art. 12(3)."""

    months: Literal[1, 2]
    reason: str = Field(min_length=1, max_length=2000)


class Delivery(BaseModel):
    """``POST /requests/{id}/deliver``: the recipient, and how their identity was checked if the shop does not
    know the address for the subject."""

    to: str = Field(max_length=320)
    verified_by: str | None = Field(default=None, max_length=500)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(rt: Runtime, jobs: EmbeddedJobs | QueueJobs) -> FastAPI:  # noqa: C901 - the routes are defined inside it
    """The API over ``rt``'s register, running jobs with ``jobs``; the lifespan marks interrupted runs first."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        marked = jobs.start()
        if marked:
            log.warning("marked %d interrupted request(s) for resume: %s", len(marked), ", ".join(marked))
        yield
        jobs.close(wait=False)

    app = FastAPI(title="dsar-aggregator portal service", version=__version__, lifespan=lifespan,
                  description="Submit, follow and deliver GDPR data-subject requests. Every endpoint but "
                              "/health and /download/{token} needs `Authorization: Bearer <token>`.")
    app.add_middleware(BearerAuth, token=rt.settings.token)
    register = rt.register

    @app.exception_handler(UnknownRequest)
    async def unknown(request: Request, exc: UnknownRequest) -> JSONResponse:
        return _error(404, "no such request")

    @app.exception_handler(RequestBusy)
    async def busy(request: Request, exc: RequestBusy) -> JSONResponse:
        return _error(409, str(exc))

    @app.exception_handler(DeliveryRefused)
    async def refused(request: Request, exc: DeliveryRefused) -> JSONResponse:
        return _error(403, str(exc))

    @app.exception_handler(RegisterError)
    async def conflict(request: Request, exc: RegisterError) -> JSONResponse:
        return _error(409, str(exc))

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> JSONResponse:
        return _error(422, str(exc))

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Liveness: the register answers."""
        register.schema_version()
        return {"status": "ok", "version": __version__,
                "jobs": "queue" if isinstance(jobs, QueueJobs) else "embedded"}

    @app.post("/requests", status_code=202)
    def submit(body: NewRequest) -> dict[str, Any]:
        """Record a request and queue its export; 202 with its id (follow it at ``GET /requests/{id}``)."""
        subject = Subject.parse(body.email, body.customer_number)
        received = body.received_at or datetime.now(UTC)
        if received.tzinfo is None:
            raise InputError("received_at must carry a time zone (e.g. 2026-11-28T09:30:00Z)")
        received = received.astimezone(UTC)
        if received > datetime.now(UTC) + timedelta(minutes=5):
            raise InputError("received_at lies in the future")
        rid = body.id or new_request_id(received)
        if not _REQUEST_ID.match(rid):
            raise InputError(f"not a valid request id: {rid!r}")
        entry = register.receive(rid, request_type=body.type, email=subject.email,
                                 customer_number=subject.customer_number, received_at=received,
                                 response_days=rt.settings.config.response_days, actor=ACTOR)
        jobs.submit("export", rid)
        return {"id": rid, "status": entry.status, "due_at": entry.to_json()["due_at"],
                "days_left": entry.days_left(), "href": f"/requests/{rid}"}

    @app.get("/requests")
    def listing(open: bool = False, overdue: bool = False, due_within: int | None = None) -> dict[str, Any]:  # noqa: A002
        """Requests sorted by due date, as ``dsar requests list --json`` (requests-list.schema.json)."""
        entries = register.list(open_only=open, overdue=overdue, due_within=due_within)
        return {"register": str(register.path), "requests": [e.summary_json() for e in entries]}

    @app.get("/requests/{request_id}")
    def show(request_id: str) -> dict[str, Any]:
        """The request as ``dsar requests show --json`` (request.schema.json) under ``request``; ``job``:
        ``queued``, ``running`` or null; ``progress``: the connectors of a run under way in this process with
        their records so far."""
        entry = register.get(request_id)
        return {"request": entry.to_json(), "job": jobs.state(request_id), "progress": rt.live(request_id)}

    @app.post("/requests/{request_id}/resume", status_code=202)
    def resume(request_id: str) -> dict[str, Any]:
        """Queue a resume: only the failed connectors run again (a run that died before recording any
        connector runs whole)."""
        entry = register.get(request_id)
        if entry.anonymised_at or entry.status not in ("partial", "failed"):
            raise RegisterError(f"request {request_id} is {entry.status}: only a partial or failed request can "
                                "be resumed")
        with register.lock(request_id):
            pass      # refused now (409) if a run holds it
        jobs.submit("resume", request_id)
        return {"id": request_id, "status": entry.status, "href": f"/requests/{request_id}"}

    @app.post("/requests/{request_id}/extend")
    def extend(request_id: str, body: Extension) -> dict[str, Any]:
        """Extend the deadline (Art. 12(3)); the request as ``show`` returns it."""
        return register.extend(request_id, body.months, body.reason, actor=ACTOR).to_json()

    @app.post("/requests/{request_id}/deliver")
    def deliver(request_id: str, body: Delivery, request: Request) -> dict[str, Any]:
        """Record the delivery (same known-address rule as ``dsar requests deliver``) and return a signed,
        expiring, limited download link for that recipient."""
        entry = register.deliver(request_id, body.to, verified_by=body.verified_by, actor=ACTOR)
        link = links.issue(register, request_id, rt.settings.link_key, days=rt.settings.link_days,
                           uses=rt.settings.link_uses, actor=ACTOR)
        return {"request": entry.to_json(), "link": _link_json(request, link, entry.delivered_to)}

    def _link_json(request: Request, link: links.Link, to: str | None) -> dict[str, Any]:
        return {"url": str(request.base_url).rstrip("/") + f"/download/{link.token}",
                "path": f"/download/{link.token}", "to": to,
                "expires_at": link.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "uses": link.uses}

    @app.post("/requests/{request_id}/link")
    def new_link(request_id: str, request: Request) -> dict[str, Any]:
        """A fresh link to the package already delivered, for the same recipient (when the first expired or
        was used up); the earlier links keep their own terms."""
        entry = register.get(request_id)
        if entry.status != "delivered" or entry.anonymised_at:
            raise RegisterError(f"request {request_id} is {entry.status}: deliver it first")
        link = links.issue(register, request_id, rt.settings.link_key, days=rt.settings.link_days,
                           uses=rt.settings.link_uses, actor=ACTOR)
        return {"link": _link_json(request, link, entry.delivered_to)}

    @app.get("/download/{token}", response_model=None, include_in_schema=True)
    def download(token: str) -> FileResponse | HTMLResponse:
        """The package behind a delivery link (no bearer token: the signed link is the credential); an expired,
        used-up or tampered link gets a plain page (410 or 403), never the file."""
        try:
            path, request_id = links.redeem(register, token, rt.settings.link_key)
        except links.LinkRefused as exc:
            return HTMLResponse(links.page(exc.status, exc.reason), status_code=exc.status,
                                headers={"Cache-Control": "no-store"})
        log.info("request %s: package downloaded through its link", request_id)
        return FileResponse(path, media_type="application/zip", filename=f"dsar-{request_id}.zip",
                            headers={"Cache-Control": "no-store"})

    return app


__all__ = ["create_app"]
