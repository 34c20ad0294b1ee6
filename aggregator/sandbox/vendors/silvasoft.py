"""Silvasoft's REST API as the sandbox serves it: ``GET /rest/<endpoint>/`` with the ``ApiKey`` and ``Username``
headers, hits as a top-level JSON array, no hits as a 200 with an empty body, ``Limit``/``Offset`` paging with
the vendor's per-endpoint maxima, and errors shaped ``{"errorCode", "errorMessage"}`` (401 for bad credentials
and for an exceeded rate limit alike; tests inject the latter with ``Fault``, see ``RATE_LIMIT_BODY``).

Endpoints: ``listrelations/`` (filters ``RelationType``, ``RelationNumber``, ``RelationName``, ``RelationEmail``,
``RelationVAT``, ``RelationGUID``, ``SearchOperand``; at most 200), ``listsalesinvoices/`` (``InvoiceNumber``,
``DateFrom``/``DateTill`` dd-MM-yyyy, newest invoice number first; at most 100, 50 with lines, 15 with PDFs;
lines only with ``IncludeInvoiceLinesInResponse=true`` - the docs' table spells it ``Inlcude…``, both are
honoured here - and ``IncludeBase64PDF=true``) and ``listorders/`` (``DateFrom``/``DateTill`` on the order date,
``OrderStatus``; at most 50, newest first).
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any

from aggregator.sandbox.base import Request, Response, VendorApp

USERNAME = "boekhouding@megasecurity.eu"
API_KEY = "sandbox-silva-4f9e1b27c0d84a6e"

CREDENTIALS_BODY = {"errorCode": "UNAUTHORIZED", "errorMessage": "Invalid authentication credentials"}
RATE_LIMIT_BODY = {"errorCode": "UNAUTHORIZED", "errorMessage": "Ratelimit exceeded"}

MAX_RELATIONS = 200
MAX_INVOICES, MAX_INVOICES_LINES, MAX_INVOICES_PDF = 100, 50, 15
MAX_ORDERS = 50
LINES_PARAMS = ("IncludeInvoiceLinesInResponse", "InlcudeInvoiceLinesInResponse")


class BadRequest(Exception):
    pass


class App(VendorApp):
    name = "silvasoft"

    def __init__(self, fixtures: Any) -> None:
        super().__init__(fixtures)
        self.relations: list[dict[str, Any]] = self.load("relations.json")
        self.invoices: list[dict[str, Any]] = sorted(self.load("salesinvoices.json"),
                                                     key=lambda i: i["InvoiceNumber"], reverse=True)
        self.orders: list[dict[str, Any]] = sorted(self.load("orders.json"),
                                                   key=lambda o: (_date(o["OrderDate"]), o["OrderNumber"]),
                                                   reverse=True)

    def connector_config(self, base_url: str) -> dict[str, Any]:
        return {"base_url": f"{base_url}/rest/", "username": USERNAME, "api_key": API_KEY,
                "requests_per_hour": 1200}

    # ------------------------------------------------------------------ dispatch
    def handle(self, request: Request) -> Response | None:
        endpoint = request.path.strip("/")
        routes = {"rest/listrelations": self._relations, "rest/listsalesinvoices": self._invoices,
                  "rest/listorders": self._orders}
        route = routes.get(endpoint)
        if route is None:
            return None
        if request.method != "GET":
            return _error(405, "METHOD_NOT_ALLOWED", f"{request.method} is not supported on this endpoint")
        if request.header("ApiKey") != API_KEY or request.header("Username") != USERNAME:
            return Response.json(CREDENTIALS_BODY, 401)
        try:
            hits = route(request)
        except BadRequest as exc:
            return _error(400, "INVALID_PARAMETER", str(exc))
        if not hits:
            # Silvasoft answers a GET without hits with HTTP 200 and an empty body.
            return Response(200, b"", {"Content-Type": "application/json"})
        return Response.json(hits)

    # ------------------------------------------------------------------ endpoints
    def _relations(self, req: Request) -> list[dict[str, Any]]:
        kind = (req.arg("RelationType") or "All").lower()
        if kind not in ("all", "customer", "supplier"):
            raise BadRequest("RelationType must be one of: All, Supplier, Customer")
        checks = []
        if req.arg("RelationNumber"):
            number = req.arg("RelationNumber", "")
            checks.append(lambda r: number in (str(r.get("CustomerNumber") or ""), str(r.get("SupplierNumber") or "")))
        if req.arg("RelationName"):
            name = req.arg("RelationName", "").lower()
            checks.append(lambda r: name in str(r.get("Name", "")).lower())
        if req.arg("RelationEmail"):
            # Belief: a case-insensitive "contains" match on the relation's and its contacts' addresses; the
            # connector must therefore check the address itself.
            email = req.arg("RelationEmail", "").strip().lower()
            checks.append(lambda r: any(email in str(a or "").lower() for a in
                                        [r.get("Email")] + [c.get("Email") for c in r.get("Relation_Contact", [])]))
        if req.arg("RelationVAT"):
            vat = req.arg("RelationVAT", "")
            checks.append(lambda r: vat == r.get("TaxIdentificationNumber"))
        operand = (req.arg("SearchOperand") or "AND").upper()
        if operand not in ("AND", "OR"):
            raise BadRequest("SearchOperand must be AND or OR")
        combine = all if operand == "AND" else any
        hits = [r for r in self.relations
                if (kind == "all" or (kind == "customer" and r.get("IsCustomer"))
                    or (kind == "supplier" and r.get("IsSupplier")))
                and (not checks or combine(check(r) for check in checks))]
        if req.arg("RelationGUID"):
            guid = req.arg("RelationGUID", "")
            hits = [r for r in hits if str(r.get("RelationGUID")) == guid]
        return _page(req, hits, MAX_RELATIONS)

    def _invoices(self, req: Request) -> list[dict[str, Any]]:
        with_lines = any(_flag(req, p) for p in LINES_PARAMS)
        with_pdf = _flag(req, "IncludeBase64PDF")
        cap = MAX_INVOICES_PDF if with_pdf else MAX_INVOICES_LINES if with_lines else MAX_INVOICES
        hits = self.invoices
        if req.arg("InvoiceNumber"):
            try:
                number = int(req.arg("InvoiceNumber", ""))
            except ValueError:
                raise BadRequest("InvoiceNumber must be a number") from None
            hits = [i for i in hits if i["InvoiceNumber"] == number]
        hits = _date_filter(req, hits, "InvoiceDate")
        out = []
        for inv in _page(req, hits, cap):
            item = {k: v for k, v in inv.items() if with_lines or k != "Invoice_InvoiceLine"}
            if with_pdf:
                item["Base64PDF"] = base64.b64encode(_pdf(inv)).decode("ascii")
            out.append(item)
        return out

    def _orders(self, req: Request) -> list[dict[str, Any]]:
        hits = _date_filter(req, self.orders, "OrderDate")
        if req.arg("OrderStatus"):
            status = req.arg("OrderStatus")
            hits = [o for o in hits if o.get("OrderStatus") == status]
        return _page(req, hits, MAX_ORDERS)


# ---------------------------------------------------------------------- helpers
def _error(status: int, code: str, message: str) -> Response:
    return Response.json({"errorCode": code, "errorMessage": message}, status)


def _flag(req: Request, name: str) -> bool:
    return (req.arg(name) or "").lower() == "true"


def _date(text: str) -> date:
    return datetime.strptime(text, "%d-%m-%Y").date()


def _date_filter(req: Request, items: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    bounds = []
    for name in ("DateFrom", "DateTill"):
        value = req.arg(name)
        try:
            bounds.append(_date(value) if value else None)
        except ValueError:
            raise BadRequest(f"{name} must be a date in format dd-MM-yyyy") from None
    start, end = bounds
    return [i for i in items if (start is None or _date(i[field]) >= start) and (end is None or _date(i[field]) <= end)]


def _page(req: Request, items: list[dict[str, Any]], cap: int) -> list[dict[str, Any]]:
    try:
        limit = int(req.arg("Limit") or cap)
        offset = int(req.arg("Offset") or 0)
    except ValueError:
        raise BadRequest("Limit and Offset must be numbers") from None
    if limit < 1 or offset < 0:
        raise BadRequest("Limit must be positive and Offset not negative")
    limit = min(limit, cap)   # Silvasoft caps silently at the endpoint's maximum
    return items[offset: offset + limit]


def _pdf(invoice: dict[str, Any]) -> bytes:
    """A small, valid one-page PDF naming the invoice (the real one is Silvasoft's rendered invoice)."""
    text = f"Factuur {invoice['InvoiceNumber']} - {invoice['CustomerName']} - {invoice['InvoiceDate']} - " \
           f"EUR {invoice['InvoiceTotalInclTax']:.2f}"
    text = text.encode("latin-1", "replace").decode("latin-1").replace("\\", "\\\\").replace("(", "\\(")
    text = text.replace(")", "\\)")
    stream = f"BT /F1 12 Tf 50 780 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


__all__ = ["API_KEY", "App", "CREDENTIALS_BODY", "RATE_LIMIT_BODY", "USERNAME"]
