"""The demo package as a customer sees it, in a real browser: headless Chromium (Debian's ``chromium``) opens
index.html and every page in both languages through the DevTools protocol; no console error, no request
outside the package, every link into the package resolves, the first screen's sections are there, and a
full-page screenshot of each page is saved (``$DSAR_SCREENSHOTS`` or the test's temporary directory).

Skipped, with the reason, where Chromium is not installed (``.ci/run`` installs it with apt before the tests)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from tests.conftest import DEMO, EMPTY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does it before make test)")

try:
    import websocket
except ImportError:  # pragma: no cover - a test extra
    websocket = None

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0"]
VENDOR_KEYS = ("addressBillingStreet2", "paymentIsInvoiceExternal", "transaction_event_code", "transaction_status",
               "receivedDateTime", "sentDateTime", "createdAt", "priceIncl", "InvoiceTotalInclTax", "member_rating",
               "created_at_timestamp", "toRecipients")
FIRST_SCREEN = ("confirmation", "copy", "purposes", "categories", "recipients", "retention", "source", "profiling",
                "rights", "complaint", "masking", "data", "files")


class Browser:
    """One headless Chromium, driven over the DevTools protocol (one page target, flat session)."""

    def __init__(self, profile: Path) -> None:
        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        url = None
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                url = m.group(1)
                break
        if url is None:
            raise RuntimeError("Chromium did not start its DevTools endpoint")
        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> None:
        while not any(e.get("method") == method for e in self.events):
            self.events.append(json.loads(self.ws.recv()))

    def open(self, url: str) -> dict[str, Any]:
        """Load ``url``; returns what the page logged and requested, its links, labels and sections."""
        self.events = []
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")
        facts = self.call("Runtime.evaluate", session=True, returnByValue=True, expression="""({
            links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
            ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
            labels: Array.from(document.querySelectorAll('dt, th, caption, h1, h2, h3, summary'))
                         .map(e => e.textContent),
            text: document.body.innerText,
            lang: document.documentElement.lang,
            sections: Object.fromEntries(Array.from(document.querySelectorAll('section[id], [id]'))
                         .map(e => [e.id, e.innerText.trim().length])),
            tablesWithoutCaption: Array.from(document.querySelectorAll('table'))
                         .filter(t => !t.querySelector('caption')).length,
            headersWithoutScope: Array.from(document.querySelectorAll('thead th'))
                         .filter(th => !th.getAttribute('scope')).length,
        })""")["result"]["value"]
        facts["console"] = [e["params"] for e in self.events
                            if e.get("method") in ("Runtime.consoleAPICalled", "Runtime.exceptionThrown")
                            or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
        facts["requests"] = [e["params"]["request"]["url"] for e in self.events
                             if e.get("method") == "Network.requestWillBeSent"]
        return facts

    def screenshot(self, path: Path, top: int = 0, height: int = 2000) -> None:
        """A PNG of 1280 × ``height`` px of the page now loaded, from ``top`` down."""
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=1280, height=2000,
                  deviceScaleFactor=1, mobile=False)
        shot = self.call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": top, "width": 1280, "height": height, "scale": 1})
        path.write_bytes(base64.b64decode(shot["data"]))

    def pdf_pages(self) -> int:
        """How many A4 pages the page now loaded prints to."""
        data = base64.b64decode(self.call("Page.printToPDF", session=True, paperWidth=8.27, paperHeight=11.69)["data"])
        return len(re.findall(rb"/Type\s*/Page[^s]", data))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if websocket is None:
        pytest.skip("websocket-client is not installed (a test extra: pip install -e '.[test]')")
    with tempfile.TemporaryDirectory(prefix="dsar-chromium-") as profile:
        b = Browser(Path(profile))
        try:
            yield b
        finally:
            b.close()


def _shots(tmp_path: Path) -> Path:
    where = Path(os.environ.get("DSAR_SCREENSHOTS") or tmp_path / "screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


def _unpack(pkg: Any, where: Path) -> Path:
    root = where / "package"
    with zipfile.ZipFile(pkg.result.package) as zf:
        zf.extractall(root)
    return root


def _check_page(browser: Browser, root: Path, page: Path) -> dict[str, Any]:
    facts = browser.open(page.as_uri())
    assert facts["console"] == [], f"{page.name}: console errors {facts['console'][:3]}"
    outside = [u for u in facts["requests"] if not u.startswith("file://")]
    assert outside == [], f"{page.name}: requests outside the package {outside[:3]}"
    for href in facts["links"]:
        url = urlparse(href)
        if url.scheme in ("http", "https", "mailto"):
            continue
        if href.startswith("#"):
            assert href[1:] in facts["ids"], f"{page.name}: anchor {href} has no target"
            continue
        target = (page.parent / unquote(url.path)).resolve()
        assert target.is_file() and root in target.parents, f"{page.name}: link {href} does not resolve"
    shown = "\n".join(facts["labels"])
    for key in VENDOR_KEYS:
        assert key not in shown, f"{page.name}: vendor field name {key} shown as a label"
    assert facts["tablesWithoutCaption"] == 0 and facts["headersWithoutScope"] == 0, page.name
    return facts


@pytest.mark.parametrize("language", ["nl", "en"])
def test_demo_package_in_a_real_browser(browser, run_export, tmp_path, language):
    pkg = run_export(DEMO, language=language, request_id=f"demo-{language}")
    root = _unpack(pkg, tmp_path)
    shots = _shots(tmp_path)
    index = _check_page(browser, root, root / "index.html")
    assert index["lang"] == language
    for section in FIRST_SCREEN:
        assert index["sections"].get(section, 0) > 0, f"first screen lacks {section}"
    for i in range(3):
        browser.screenshot(shots / f"index-{language}-{i + 1}.png", top=2000 * i)
    pages = sorted((root / "pages").glob("*.html"))
    assert {p.stem for p in pages} >= {"orders", "payments", "invoices", "communications", "contact"}
    for page in pages:
        facts = _check_page(browser, root, page)
        assert facts["lang"] == language
        if page.stem in ("orders", "payments", "communications", "invoices", "contact"):
            browser.screenshot(shots / f"{page.stem}-{language}.png")
    linked = {h for h in index["links"] if not h.startswith(("#", "http", "mailto"))}
    files = {f["path"] for f in pkg.manifest["files"]} - {"index.html"}
    assert files <= linked, f"index.html does not link {sorted(files - linked)[:5]}"


def test_a_category_page_prints_its_cards(browser, run_export, tmp_path):
    pkg = run_export(DEMO, ["lightspeed"], request_id="print")
    root = _unpack(pkg, tmp_path)
    browser.open((root / "pages" / "invoices.html").as_uri())
    # four invoices with their lines print on a page or two, not as one-line titles on many
    assert 1 <= browser.pdf_pages() <= 3


def test_no_data_package_in_a_real_browser(browser, run_export, tmp_path):
    pkg = run_export(EMPTY, ["lightspeed"], request_id="nodata")
    root = _unpack(pkg, tmp_path)
    facts = _check_page(browser, root, root / "index.html")
    assert not (root / "pages").exists()
    assert "pages/" not in " ".join(facts["links"])
    browser.screenshot(_shots(tmp_path) / "index-nodata-nl.png")


def test_the_checks_see_console_errors_outside_requests_and_broken_links(browser, tmp_path):
    # a page that breaks every rule, so the checks above cannot pass vacuously (the request goes to a closed
    # loopback port: nothing leaves the machine)
    root = tmp_path / "bad"
    root.mkdir()
    page = root / "index.html"
    page.write_text('<!doctype html><html lang="nl"><body><img src="http://127.0.0.1:9/x.png">'
                    '<a href="missing.html">x</a><script>console.error("kapot")</script></body></html>')
    facts = browser.open(page.as_uri())
    assert any("kapot" in json.dumps(c) for c in facts["console"])
    assert "http://127.0.0.1:9/x.png" in facts["requests"]
    with pytest.raises(AssertionError):
        _check_page(browser, root, page)
