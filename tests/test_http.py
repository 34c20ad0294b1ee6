"""HTTP hygiene that every connector inherits from VendorSession: redirects never carry credentials to another
origin, and secrets are redacted in every form they can be echoed in (plain, URL-encoded, base64, Basic)."""

from __future__ import annotations

import base64
import io
from urllib.parse import quote

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from aggregator.errors import ConnectorError
from aggregator.http import Redactor, RetryPolicy, VendorSession


class _Hosts(BaseAdapter):
    """Answers by host from a table ``{host: (status, headers, body)}`` and records what each host received."""

    def __init__(self, table: dict[str, tuple[int, dict[str, str], bytes]]) -> None:
        super().__init__()
        self.table = table
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        host = requests.utils.urlparse(request.url).netloc
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        self.seen.append((host, str(request.method), dict(request.headers), body))
        status, headers, content = self.table[host]
        response = requests.Response()
        response.status_code, response.headers = status, CaseInsensitiveDict(headers)
        response._content, response.raw = content, io.BytesIO(content)
        response.url, response.request = str(request.url), request
        return response

    def close(self) -> None:
        return None


def _session(adapter: _Hosts, redactor: Redactor | None = None) -> VendorSession:
    s = VendorSession("acme", redactor=redactor or Redactor(["k3y-value-123"]))
    for prefix in ("https://", "http://"):
        s.mount(prefix, adapter)
    s.headers["ApiKey"] = "k3y-value-123"
    return s


@pytest.mark.parametrize("location", ["https://evil.example/steal", "http://api.example.com/plain",
                                      "https://api.example.com:8443/other-port", "//evil.example/x"])
def test_a_redirect_to_another_origin_is_refused_before_anything_is_sent_there(location: str):
    hosts = _Hosts({"api.example.com": (302, {"Location": location}, b"")})
    with pytest.raises(ConnectorError, match="acme: refused to follow a redirect to another host"):
        _session(hosts).get("https://api.example.com/v1/relations")
    assert [h for h, *_ in hosts.seen] == ["api.example.com"]          # nothing reached the other host


def test_a_307_to_another_host_never_reposts_the_client_secret():
    hosts = _Hosts({"login.example.com": (307, {"Location": "https://evil.example/token"}, b"")})
    with pytest.raises(ConnectorError, match=r"\(https://evil.example\)"):
        _session(hosts).post("https://login.example.com/t/oauth2/v2.0/token",
                             data={"client_secret": "s3cr3t-value", "grant_type": "client_credentials"})
    assert len(hosts.seen) == 1


def test_a_redirect_within_the_origin_is_followed_with_its_credentials():
    hosts = _Hosts({"api.example.com": (200, {}, b"{}")})
    hosts.table["api.example.com"] = (302, {"Location": "/v2/relations"}, b"")
    original_send = hosts.send

    def send(request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        if str(request.url).endswith("/v2/relations"):
            hosts.table["api.example.com"] = (200, {}, b"[]")
        return original_send(request, **kwargs)

    hosts.send = send  # type: ignore[method-assign]
    response = _session(hosts).get("https://api.example.com/v1/relations")
    assert response.status_code == 200 and len(hosts.seen) == 2
    assert hosts.seen[1][2]["ApiKey"] == "k3y-value-123"


def test_every_form_of_a_secret_is_redacted():
    secret = "p@ss/word+with=chars"
    red = Redactor([secret])
    echoed = " ".join([secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()])
    assert red(echoed) == "*** *** ***"


def test_a_basic_pair_and_a_bearer_token_are_known_once_used_even_without_their_prefix():
    hosts = _Hosts({"api.example.com": (200, {}, b"{}")})
    red = Redactor()
    s = _session(hosts, red)
    s.auth = ("shop-key", "shop-secret-456")
    s.get("https://api.example.com/x")
    pair = base64.b64encode(b"shop-key:shop-secret-456").decode()
    assert red(f"echo: {pair} and shop-key:shop-secret-456") == "echo: *** and ***"
    s.auth = None
    s.get("https://api.example.com/x", headers={"Authorization": "Bearer eyJ0eXAi.issued-token.sig"})
    assert red("token eyJ0eXAi.issued-token.sig leaked") == "token *** leaked"


def test_redaction_comes_before_shortening():
    secret = "S" * 20 + "-tail-of-secret"
    red = Redactor([secret])
    text = "x" * 290 + secret                       # the cut at 300 would fall inside the secret
    assert "S" * 5 not in red.line(text) and red.line(text).endswith("***")


def _serve(handler: type) -> tuple[str, object]:
    import threading
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def test_a_vendor_trickling_its_answer_cannot_outlast_the_answer_deadline():
    import time
    from http.server import BaseHTTPRequestHandler

    class Drip(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return None

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):          # one byte every 0.1 s: each read is well within the timeout
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                return

    url, server = _serve(Drip)
    try:
        s = VendorSession("acme", timeout=(2.0, 2.0), answer_deadline=0.5)
        t0 = time.monotonic()
        with pytest.raises(ConnectorError, match=r"acme: GET /slow did not finish its answer within 0.5 s"):
            s.get(f"{url}/slow")
        assert time.monotonic() - t0 < 5        # not the 100 s the vendor would take
    finally:
        server.shutdown()  # type: ignore[attr-defined]


def test_an_answer_over_the_size_cap_is_refused_and_a_normal_one_read_whole():
    from http.server import BaseHTTPRequestHandler

    class Big(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return None

        def do_GET(self) -> None:
            size = 3 * 2**20 if self.path == "/big" else 1000
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            try:
                self.wfile.write(b"y" * size)
            except OSError:
                return

    url, server = _serve(Big)
    try:
        s = VendorSession("acme", max_answer_bytes=2**20)
        assert s.get(f"{url}/small").content == b"y" * 1000
        with pytest.raises(ConnectorError, match="the answer to GET /big is larger than 1 MB"):
            s.get(f"{url}/big")
    finally:
        server.shutdown()  # type: ignore[attr-defined]


def test_a_rate_becomes_an_answered_window_of_whole_requests():
    from aggregator.http import answered_per_second

    [twenty] = answered_per_second(20.0)
    [half] = answered_per_second(0.5)
    assert (twenty.limit, twenty.seconds) == (20, 1.0) and (half.limit, half.seconds) == (1, 2.0)
    assert answered_per_second(19.9)[0].limit == 19            # never above the rate
    assert answered_per_second(0) == ()                         # 0: no pacing (the tests' sandbox runs)


class _Small:
    """A handler factory: ``/a`` redirects to ``/b`` (same origin); anything else answers a small JSON body."""

    @staticmethod
    def handler() -> type:
        from http.server import BaseHTTPRequestHandler

        class Small(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return None

            def do_GET(self) -> None:
                if self.path == "/a":
                    self.send_response(302)
                    self.send_header("Location", "/b")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        return Small


class _Waited(Exception):
    pass


def _refuse_to_wait(seconds: float) -> None:
    raise _Waited(seconds)


def test_an_answered_window_counts_every_request_the_vendor_sees_a_followed_redirect_too():
    from aggregator.http import AnsweredWindow, Limits

    url, server = _serve(_Small.handler())
    try:
        window = AnsweredWindow(2, 30.0, sleep=_refuse_to_wait)
        s = VendorSession("acme", limits=Limits(answered=(window,)), retry=RetryPolicy(attempts=1))
        assert s.get(f"{url}/b").status_code == 200         # one place, kept 30 s after its answer
        with pytest.raises(_Waited):
            s.get(f"{url}/a")            # its first hop takes the last place; the redirect's hop must wait for one
        with pytest.raises(_Waited):
            s.get(f"{url}/b")            # every place is taken for 30 s after each answer
    finally:
        server.shutdown()  # type: ignore[attr-defined]


def test_a_shared_limiters_wait_does_not_count_against_the_answers_deadline():
    """The service's limiters may hold a request back (up to a whole Lightspeed window); the answer's deadline
    counts from its send, so a long wait followed by a quick answer is not "did not finish its answer"."""
    import time

    from aggregator.service.limits import LimitedAdapter

    class Slow:
        def acquire(self) -> None:
            time.sleep(0.6)                 # the shared window has just been used up

        def observe(self, response: requests.Response) -> None:
            return None

    url, server = _serve(_Small.handler())
    try:
        s = VendorSession("acme", answer_deadline=0.5, retry=RetryPolicy(attempts=1))
        s.mount(url, LimitedAdapter(requests.adapters.HTTPAdapter(), (Slow(),), deadline=0.5))
        assert s.get(f"{url}/b").json() == {}
    finally:
        server.shutdown()  # type: ignore[attr-defined]


def test_the_wait_for_an_answered_place_does_not_count_against_the_answers_deadline():
    """A request held back by its vendor's answered window (up to a second for Lightspeed) and then answered at once
    is answered: the deadline counts from its send, as the service's adapter counts it."""
    import time
    from collections.abc import Iterator
    from contextlib import contextmanager

    from aggregator.http import Limits

    class Full:
        limit, seconds = 1, 1.0
        waited = 0

        @contextmanager
        def hold(self) -> Iterator[None]:
            time.sleep(1.2)                 # every place held for a while yet
            self.waited += 1
            yield

    url, server = _serve(_Small.handler())
    try:
        window = Full()
        s = VendorSession("acme", limits=Limits(answered=(window,)), answer_deadline=1.0,
                          retry=RetryPolicy(attempts=1))
        assert s.get(f"{url}/b").json() == {}
        assert window.waited == 1
    finally:
        server.shutdown()  # type: ignore[attr-defined]


def test_a_redirect_in_a_window_of_one_place_takes_the_place_its_first_hop_gave_back():
    """A rate below one a second is a window of one place: the redirect's hop waits for the first hop's place, which
    must be given back when that hop is answered, not kept while the redirect is followed (it would wait forever)."""
    import time

    from aggregator.http import AnsweredWindow, Limits

    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) > 300:                    # some 3 s of polling: the place never came free
            raise _Waited(seconds)
        time.sleep(seconds)

    url, server = _serve(_Small.handler())
    try:
        window = AnsweredWindow(1, 0.05, sleep=sleep)
        s = VendorSession("acme", limits=Limits(answered=(window,)), retry=RetryPolicy(attempts=1))
        response = s.get(f"{url}/a")            # /a redirects to /b on the same origin
        assert response.status_code == 200 and [r.status_code for r in response.history] == [302]
    finally:
        server.shutdown()  # type: ignore[attr-defined]
