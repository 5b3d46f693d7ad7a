"""Attacks a security review reproduced against `cloudlet gateway`, replayed
from the wire with raw sockets and Python's http.client (curl strips
fragments, so it cannot send them). Each test failed before its fix:

1. A signed request, or a presigned URL, replayed with `?#&search=...`: the
   verifier cut the target at '#', the router passed what followed on as
   query parameters, so the replay was answered with a list nobody signed.
2. Connections that declare bodies and then send nothing held the body
   budget before any route or signature check: 26 of them (25 x 10 MiB plus
   6 MiB, from other loopback addresses) made every request with a body
   answer 503 for 30 s. Requests refused from their headers now reserve
   nothing, bodies are charged as they arrive, one address is held to its
   own share, and stalled bodies are cut off after a grace period.

A second review, reading as an attacker, found more; those tests say so.
"""
import http.client
import json
import socket
import time
import unittest
import urllib.parse

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import support
from test_gateway import KEY, SECRET, Gateway, boto, send

TEN_MIB = 10 * 1024 * 1024


def raw(gw, data, source="127.0.0.1", timeout=10):
    """Sends `data` from `source`, returns (status, body) of the first response."""
    with socket.create_connection(("127.0.0.1", gw.port), timeout=timeout,
                                  source_address=(source, 0)) as s:
        s.sendall(data)
        return read_response(s)


def read_response(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return None, data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, rest[:length].decode("utf-8", "replace")


def held_request(gw, source, head):
    """Opens a connection from `source` and sends only `head`; the caller closes it."""
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=15, source_address=(source, 0))
    s.sendall(head)
    return s


def signed_get_by_id(gw):
    status, _, body = send(gw, boto(gw, "POST", "/contacts_get_by_contact_id", json.dumps({"id": 1})))
    return status, body


class GatewayAttackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ctx = support.database()
        cls.db = cls.ctx.__enter__()
        cls.gw = Gateway(cls.db)

    @classmethod
    def tearDownClass(cls):
        try:
            code, _ = cls.gw.stop()
            assert code == 0, f"gateway exited with {code}"
        finally:
            cls.ctx.__exit__(None, None, None)

    # --- 1. a fragment escapes the signature ------------------------------
    def test_signed_request_replayed_with_a_fragment_is_refused(self):
        prepared = boto(self.gw, "GET", "/contacts")
        headers = dict(prepared.headers.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=10)
        conn.request("GET", "/contacts", headers=headers)
        ok = conn.getresponse()
        ok.read()
        conn.close()
        self.assertEqual(ok.status, 200)  # the signed request itself
        for target in ("/contacts?#&page_size=2&search=Pearl", "/contacts#&page_size=2",
                       "/contacts?page=1#&search=Pearl"):
            conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=10)
            conn.request("GET", target, headers=headers)
            r = conn.getresponse()
            body = r.read().decode()
            self.assertEqual((r.status, json.loads(body)), (400, {"message": "Bad Request"}), target)
            conn.close()

    def test_presigned_url_replayed_with_a_fragment_is_refused(self):
        req = AWSRequest(method="GET", url=self.gw.base + "/contacts")
        SigV4QueryAuth(Credentials(KEY, SECRET), "execute-api", "us-east-1", expires=300).add_auth(req)
        url = urllib.parse.urlsplit(req.prepare().url)
        target = f"{url.path}?{url.query}"
        host = f"127.0.0.1:{self.gw.port}".encode()
        request = lambda t: b"GET " + t.encode() + b" HTTP/1.1\r\nHost: " + host + b"\r\n\r\n"
        self.assertEqual(raw(self.gw, request(target))[0], 200)
        status, body = raw(self.gw, request(target + "#&page_size=2&search=Pearl"))
        self.assertEqual((status, json.loads(body)), (400, {"message": "Bad Request"}))
        # Without the '#' the added parameter is simply not signed.
        self.assertEqual(raw(self.gw, request(target + "&search=Pearl"))[0], 403)

    def test_targets_with_bytes_uris_exclude_are_400_before_routing(self):
        host = f"127.0.0.1:{self.gw.port}".encode()
        for target in (b"/contacts/\xc3\xa9", b"/contacts?search=\xff", b"/contacts?x=\"",
                       b"/contacts?x=<", b"/contacts?x=>", b"/contacts?x={", b"/contacts?x=}",
                       b"/contacts?x=|", b"/contacts?x=\\", b"/contacts?x=^", b"/contacts?x=`",
                       b"/no_such_route#x", b"/contacts_insert#"):
            status, body = raw(self.gw, b"GET " + target + b" HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
            self.assertEqual((status, body), (400, '{"message":"Bad Request"}'), target)

    # --- 2. silent bodies hold the budget -----------------------------------
    def test_unrouted_bodies_from_many_addresses_reserve_nothing(self):
        held = []
        try:
            # The reproduced attack: 25 x 10 MiB + 6 MiB declared, from 26 addresses.
            sizes = [TEN_MIB] * 25 + [6 * 1024 * 1024]
            for i, size in enumerate(sizes):
                s = held_request(self.gw, f"127.0.0.{2 + i}",
                                 b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % size)
                held.append(s)
            # Each is answered at once: no route, and its body is not awaited.
            for s in held:
                self.assertEqual(read_response(s)[0], 404)
            status, body = signed_get_by_id(self.gw)
            self.assertEqual(status, 200, body)
        finally:
            for s in held:
                s.close()

    def test_bodies_for_a_route_without_a_valid_signature_reserve_nothing(self):
        held = []
        try:
            for i in range(30):
                s = held_request(self.gw, f"127.0.0.{2 + i}",
                                 b"POST /contacts_get_by_contact_id HTTP/1.1\r\nHost: h\r\n"
                                 b"Content-Length: %d\r\n\r\n" % TEN_MIB)
                held.append(s)
            for s in held:
                self.assertEqual(read_response(s)[0], 403)
            self.assertEqual(signed_get_by_id(self.gw)[0], 200)
        finally:
            for s in held:
                s.close()

    def pre_check_passing_head(self, size):
        """Headers an attacker who saw one signed request could send: a known
        key id and a current date, with a signature nobody computed."""
        date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        return (b"POST /contacts_get_by_contact_id HTTP/1.1\r\nHost: h\r\nX-Amz-Date: " + date.encode() +
                b"\r\nAuthorization: AWS4-HMAC-SHA256 Credential=" + KEY.encode() + b"/" +
                date[:8].encode() + b"/us-east-1/execute-api/aws4_request, "
                b"SignedHeaders=host;x-amz-date, Signature=" + b"0" * 64 +
                b"\r\nContent-Length: %d\r\n\r\n" % size)

    def test_one_address_is_held_to_its_share_and_others_are_served(self):
        held = []
        try:
            # The default share per address is 32 MiB, charged as body bytes
            # arrive: three 9 MiB partial bodies are held, a fourth is
            # refused with 429 once it passes the share.
            chunk = b"x" * (9 * 1024 * 1024)
            for _ in range(3):
                s = held_request(self.gw, "127.0.0.2", self.pre_check_passing_head(TEN_MIB))
                s.sendall(chunk)
                held.append(s)
            fourth = held_request(self.gw, "127.0.0.2", self.pre_check_passing_head(TEN_MIB))
            held.append(fourth)
            try:
                fourth.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # refused mid-body: the answer is already waiting
            status, body = read_response(fourth)
            self.assertEqual((status, json.loads(body)), (429, {"message": "Too Many Requests"}))
            # Another address still gets its own share, and signed calls are served.
            other = held_request(self.gw, "127.0.0.3", self.pre_check_passing_head(TEN_MIB))
            other.sendall(chunk)
            held.append(other)
            other.settimeout(1)
            with self.assertRaises(socket.timeout):
                read_response(other)  # awaited, not refused
            self.assertEqual(signed_get_by_id(self.gw)[0], 200)
        finally:
            for s in held:
                s.close()

    def test_declared_bodies_on_a_public_route_hold_nothing(self):
        # Found by the second review: GET /openapi.json needs no signature, and
        # declared bodies there held the whole budget. Bodies are charged as
        # they arrive, so declaring costs nothing.
        held = []
        try:
            for i, size in enumerate([TEN_MIB] * 25 + [6 * 1024 * 1024]):
                held.append(held_request(self.gw, f"127.0.1.{1 + i % 9}",
                                         b"GET /openapi.json HTTP/1.1\r\nHost: h\r\n"
                                         b"Content-Length: %d\r\n\r\n" % size))
            time.sleep(0.5)  # give the server time to read all 26 heads (it answers none)
            self.assertEqual(signed_get_by_id(self.gw)[0], 200)
        finally:
            for s in held:
                s.close()

    def rss_kib(self):
        with open(f"/proc/{self.gw.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def test_chunk_extensions_and_trailers_cannot_grow_memory(self):
        # Found by the second review: a chunk-size line that never ends, or
        # trailers without end, grew the read buffer by hundreds of MB.
        before = self.rss_kib()
        for tail in (b"1;" + b"a" * (64 * 1024 * 1024),
                     b"1\r\nx\r\n0\r\n" + b"X-Trailer: v\r\n" * (4 * 1024 * 1024)):
            s = held_request(self.gw, "127.0.0.5",
                             b"GET /openapi.json HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
            try:
                s.sendall(tail)
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                status, _ = read_response(s)
            except ConnectionResetError:
                status = None
            s.close()
            self.assertIn(status, (400, None))
        self.assertLess(self.rss_kib() - before, 32 * 1024)  # well below the 64 MiB sent

    def test_head_has_no_body_and_non_chunked_transfer_encoding_is_400(self):
        with socket.create_connection(("127.0.0.1", self.gw.port), timeout=10) as s:
            s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: h\r\n\r\nGET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
            data = b""
            while data.count(b"HTTP/1.1 200") < 2 or not data.endswith(b'{"status":"ok"}'):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        first, _, rest = data.partition(b"\r\n\r\n")
        self.assertIn(b"Content-Length: 15", first)
        self.assertTrue(rest.startswith(b"HTTP/1.1 200"), data)  # no body after the HEAD header
        status, _ = raw(self.gw, b"POST /healthz HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"
                                 b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
        self.assertEqual(status, 400)

    def test_a_stalled_body_is_cut_off_after_the_grace_period(self):
        # gateway.body_grace_seconds is 10 by default; then 32 KiB/s must be kept up.
        s = held_request(self.gw, "127.0.0.4", self.pre_check_passing_head(1024 * 1024))
        s.settimeout(25)
        started = time.monotonic()
        try:
            data = s.recv(65536)
            while data:
                data = s.recv(65536)
        except ConnectionResetError:
            pass
        finally:
            s.close()
        self.assertLess(time.monotonic() - started, 25)  # closed by the server, not by our timeout


if __name__ == "__main__":
    unittest.main(verbosity=2)
