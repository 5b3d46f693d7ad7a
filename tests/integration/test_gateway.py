"""The gateway end to end: `cloudlet gateway` on a real PostgreSQL, called by
real clients — Debian's curl with --aws-sigv4 and botocore's SigV4Auth /
SigV4QueryAuth — on every seed and resource route, and refused exactly as API
Gateway refuses (spec/apigateway-sigv4.md §7). At the end, no secret or
signature may appear in any log the run wrote."""
import datetime
import http.client
import json
import os
import pathlib
import signal
import subprocess
import tempfile
import time
import types
import unittest
import urllib.parse
from unittest import mock

import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import support

KEY, SECRET = "AKIDGATEWAYTEST00001", "gw/Test+Secret0123456789abcdefghijklmnop"
DENIED_KEY, DENIED_SECRET = "AKIDDENIEDTEST000001", "denied/Secret0123456789abcdefghijklmnopq"
ACCOUNT = "123456789012"
LEAKS = ("SELECT", "sqlstate", "postgres", "password", "syntax error", "Traceback", SECRET, DENIED_SECRET)


class Gateway:
    """`cloudlet gateway` on a throwaway database, with env and file principals."""

    def __init__(self, db):
        self.db = db
        self.port = support.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        creds = {"principals": [{
            "user_name": "denied", "access_key_id": DENIED_KEY, "secret_access_key": DENIED_SECRET,
            "policies": [{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"},
                {"Effect": "Deny", "Action": "execute-api:Invoke",
                 "Resource": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:*/$default/*/contacts_delete_by_contact_id"}]}]}]}
        self.creds_file = os.path.join(db.dir, "test-credentials.json")
        with open(self.creds_file, "w") as f:
            json.dump(creds, f)
        env = dict(os.environ, CLOUDLET_ACCESS_KEY_ID=KEY, CLOUDLET_SECRET_ACCESS_KEY=SECRET)
        self.stderr = open(os.path.join(db.dir, "gateway.stderr"), "w")
        self.proc = subprocess.Popen(
            [support.CLOUDLET, "gateway", *db.flags, "--gateway-listen", f"127.0.0.1:{self.port}",
             "--credentials-file", self.creds_file, "--account-id", ACCOUNT],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True, env=env)
        support.wait_for_line(self.proc, "Press Ctrl-C to stop", timeout=60)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=60)
        self.stderr.close()
        return self.proc.returncode, out


def curl(gw, method, path, body=None, user=f"{KEY}:{SECRET}", extra=()):
    """curl --aws-sigv4; returns (status, headers dict, body text)."""
    cmd = ["/usr/bin/curl", "-s", "-i", "-X", method, gw.base + path]
    if user:
        cmd += ["--aws-sigv4", "aws:amz:us-east-1:execute-api", "--user", user]
    if body is not None:
        cmd += ["-H", "content-type: application/json", "--data-binary", body]
    cmd += list(extra)
    out = subprocess.run(cmd, capture_output=True, check=True).stdout.decode("utf-8", "replace")
    # Skip interim 100 Continue blocks.
    while out.startswith("HTTP/1.1 100"):
        out = out.split("\r\n\r\n", 1)[1]
    head, _, text = out.partition("\r\n\r\n")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    return status, headers, text


def send(gw, req):
    """Sends a botocore AWSRequest as prepared; returns (status, headers, body)."""
    url = urllib.parse.urlsplit(req.url)
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
    target = url.path + (("?" + url.query) if url.query else "")
    body = req.body if isinstance(req.body, (bytes, type(None))) else req.body.encode()
    conn.request(req.method, target, body=body, headers=dict(req.headers.items()))
    r = conn.getresponse()
    data = r.read().decode("utf-8", "replace")
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def boto(gw, method, path, body=None, key=KEY, secret=SECRET, params=None, skew=None):
    req = AWSRequest(method=method, url=gw.base + path, data=body, params=params or {},
                     headers={"content-type": "application/json"} if body is not None else {})
    auth = SigV4Auth(Credentials(key, secret), "execute-api", "us-east-1")
    if skew is None:
        auth.add_auth(req)
    else:
        with mock.patch.object(botocore.auth, "datetime", shifted_datetime(skew)):
            auth.add_auth(req)
    return req.prepare()


def shifted_datetime(delta):
    real = datetime.datetime

    class Shifted(real):
        @classmethod
        def utcnow(cls):
            return real.utcnow() + delta

        @classmethod
        def now(cls, tz=None):
            return real.now(tz) + delta

    return types.SimpleNamespace(datetime=Shifted, timedelta=datetime.timedelta, timezone=datetime.timezone)


class GatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ctx = support.database()
        cls.db = cls.ctx.__enter__()
        cls.gw = Gateway(cls.db)
        cls.signatures = []

    @classmethod
    def tearDownClass(cls):
        code, out = cls.gw.stop()
        try:
            assert code == 0, f"gateway exited with {code}"
            assert "gateway stopped" in out
            cls.check_logs_leak_nothing()
        finally:
            cls.ctx.__exit__(None, None, None)

    @classmethod
    def check_logs_leak_nothing(cls):
        root = pathlib.Path(cls.db.dir)
        files = list((root / "logs").rglob("*.jsonl")) + [root / "gateway.stderr"]
        assert any("api_gw" in str(f) for f in files), files
        assert any("/aws/lambda/" in "/" + str(f.relative_to(root / "logs")) for f in files if "logs" in str(f))
        text = "".join(f.read_text() for f in files)
        for secret in [SECRET, DENIED_SECRET, *cls.signatures]:
            assert secret not in text, "a secret or signature reached a log"
        assert "X-Amz-Signature" not in text

    def assertCleanError(self, body):
        for word in LEAKS:
            self.assertNotIn(word, body)

    def remember(self, prepared):
        auth = prepared.headers.get("Authorization", "")
        if "Signature=" in auth:
            self.signatures.append(auth.rsplit("Signature=", 1)[1])
        return prepared

    # --- the seven seed routes with curl ---------------------------------
    def test_seed_routes_with_curl(self):
        gw = self.gw
        s, h, b = curl(gw, "POST", "/contacts_insert",
                       json.dumps({"company_id": 1, "first_name": "Curl", "last_name": "Sigv4", "email": "curl@x.io"}))
        self.assertEqual(s, 201, b)
        self.assertEqual(len(h["apigw-requestid"]), 16)
        new_id = json.loads(b)["contact"]["id"]
        s, _, b = curl(gw, "POST", "/contacts_get_by_contact_id", json.dumps({"id": new_id}))
        self.assertEqual((s, json.loads(b)["contact"]["first_name"]), (200, "Curl"))
        s, _, b = curl(gw, "POST", "/contacts_get_by_company_id", json.dumps({"company_id": 1}))
        self.assertEqual(s, 200)
        self.assertIn(new_id, [c["id"] for c in json.loads(b)["contacts_list"]])
        s, _, b = curl(gw, "POST", "/contacts_update_by_contact_id",
                       json.dumps({"id": new_id, "company_id": 2, "first_name": "Curl2", "last_name": "S",
                                   "email": "c2@x.io"}))
        self.assertEqual((s, json.loads(b)["contact"]["company_id"]), (200, 2))
        s, _, b = curl(gw, "POST", "/contacts_get_by_dynamic_filter",
                       json.dumps({"id": 0, "search_text": "curl2", "created_at_start": "", "created_at_finish": ""}))
        self.assertEqual(s, 200, b)
        self.assertEqual([c["id"] for c in json.loads(b)["contacts_list"]], [new_id])
        s, _, b = curl(gw, "POST", "/contacts_get_by_pagination",
                       json.dumps({"id": 0, "search_text": "", "created_at_start": "", "created_at_finish": "",
                                   "page_number": 1, "page_size": 2}))
        self.assertEqual((s, len(json.loads(b)["contacts_list"])), (200, 2))
        s, _, b = curl(gw, "POST", "/contacts_delete_by_contact_id", json.dumps({"id": new_id}))
        self.assertEqual(s, 200, b)
        s, _, b = curl(gw, "POST", "/contacts_get_by_contact_id", json.dumps({"id": new_id}))
        self.assertEqual((s, json.loads(b)["status_message"]), (404, "RECORD_NOT_FOUND"))

    # --- resource routes with botocore ------------------------------------
    def test_resource_routes_with_botocore(self):
        gw = self.gw
        s, _, b = send(gw, self.remember(boto(gw, "POST", "/contacts", json.dumps(
            {"company_id": 3, "first_name": "Boto", "last_name": "Core", "email": "boto@x.io"}))))
        self.assertEqual(s, 201, b)
        cid = json.loads(b)["id"]
        s, _, b = send(gw, self.remember(boto(gw, "GET", f"/contacts/{cid}")))
        self.assertEqual((s, json.loads(b)["first_name"]), (200, "Boto"))
        s, _, b = send(gw, self.remember(boto(gw, "PUT", f"/contacts/{cid}", json.dumps(
            {"company_id": 3, "first_name": "Boto2", "last_name": "Core", "email": "boto@x.io"}))))
        self.assertEqual((s, json.loads(b)["first_name"]), (200, "Boto2"))
        s, _, b = send(gw, self.remember(boto(gw, "GET", "/companies/3/contacts")))
        self.assertEqual(s, 200, b)
        self.assertIn(cid, [c["id"] for c in json.loads(b)["items"]])
        # botocore encodes the space as '+', which the gateway reads as a space (spec §2.3).
        s, _, b = send(gw, self.remember(boto(gw, "GET", "/contacts", params={"search": "boto2 core", "page_size": "5"})))
        self.assertEqual(s, 200, b)
        s, _, b = send(gw, self.remember(boto(gw, "DELETE", f"/contacts/{cid}")))
        self.assertEqual(s, 200, b)
        s, _, b = send(gw, self.remember(boto(gw, "GET", f"/contacts/{cid}")))
        self.assertEqual((s, json.loads(b)), (404, {"message": "Not Found"}))

    def test_seed_routes_with_botocore(self):
        s, _, b = send(self.gw, self.remember(boto(self.gw, "POST", "/contacts_get_by_company_id",
                                                   json.dumps({"company_id": 2}))))
        self.assertEqual(s, 200, b)
        self.assertEqual(json.loads(b)["status_message"], "RECORD_OK")

    def test_resource_routes_with_curl(self):
        s, _, b = curl(self.gw, "GET", "/contacts/1")
        self.assertEqual((s, json.loads(b)["id"]), (200, 1))
        # curl 7.88.1 signs the query as typed: keep it sorted (conformance README).
        s, _, b = curl(self.gw, "GET", "/contacts?page=1&page_size=2")
        self.assertEqual((s, len(json.loads(b)["items"])), (200, 2))

    def test_presigned_url(self):
        req = AWSRequest(method="GET", url=self.gw.base + "/contacts/2")
        SigV4QueryAuth(Credentials(KEY, SECRET), "execute-api", "us-east-1", expires=60).add_auth(req)
        p = req.prepare()
        self.signatures.append(urllib.parse.parse_qs(urllib.parse.urlsplit(p.url).query)["X-Amz-Signature"][0])
        s, _, b = send(self.gw, p)
        self.assertEqual((s, json.loads(b)["id"]), (200, 2))

    # --- negatives -------------------------------------------------------
    def test_no_signature_is_bare_forbidden(self):
        s, h, b = curl(self.gw, "POST", "/contacts_insert", "{}", user=None)
        self.assertEqual((s, json.loads(b)), (403, {"message": "Forbidden"}))
        self.assertNotIn("x-amzn-errortype", h)
        self.assertIn("apigw-requestid", h)

    def test_wrong_secret(self):
        s, h, b = curl(self.gw, "POST", "/contacts_get_by_contact_id", '{"id":1}', user=f"{KEY}:wrong-secret")
        self.assertEqual(s, 403)
        self.assertEqual(h["x-amzn-errortype"], "InvalidSignatureException")
        self.assertTrue(json.loads(b)["message"].startswith(
            "The request signature we calculated does not match the signature you provided."))
        self.assertCleanError(b)

    def test_unknown_key(self):
        s, h, b = curl(self.gw, "POST", "/contacts_get_by_contact_id", '{"id":1}', user="AKIDUNKNOWN:whatever")
        self.assertEqual((s, h["x-amzn-errortype"]), (403, "UnrecognizedClientException"))
        self.assertEqual(json.loads(b), {"message": "The security token included in the request is invalid."})

    def test_body_changed_after_signing(self):
        p = self.remember(boto(self.gw, "POST", "/contacts_get_by_contact_id", json.dumps({"id": 1})))
        p.body = json.dumps({"id": 2}).encode()
        s, h, b = send(self.gw, p)
        self.assertEqual((s, h["x-amzn-errortype"]), (403, "InvalidSignatureException"))

    def test_date_outside_skew_window(self):
        for delta, text in ((datetime.timedelta(minutes=-6), "Signature expired"),
                            (datetime.timedelta(minutes=6), "Signature not yet current")):
            p = self.remember(boto(self.gw, "POST", "/contacts_get_by_contact_id", json.dumps({"id": 1}), skew=delta))
            s, h, b = send(self.gw, p)
            self.assertEqual((s, h["x-amzn-errortype"]), (403, "InvalidSignatureException"))
            self.assertIn(text, json.loads(b)["message"])
            self.assertIn("5 min.", json.loads(b)["message"])

    def test_policy_that_denies_the_route(self):
        s, h, b = curl(self.gw, "POST", "/contacts_delete_by_contact_id", '{"id":1}',
                       user=f"{DENIED_KEY}:{DENIED_SECRET}")
        self.assertEqual((s, json.loads(b)), (403, {"message": "Forbidden"}))
        self.assertNotIn("x-amzn-errortype", h)
        s, _, _ = curl(self.gw, "POST", "/contacts_get_by_contact_id", '{"id":1}', user=f"{DENIED_KEY}:{DENIED_SECRET}")
        self.assertEqual(s, 200)
        # The row is still there: the denied call never reached the function.
        self.assertEqual(self.db.psql("SELECT count(*) FROM contacts WHERE id = 1"), "1")

    def test_presigned_url_expired(self):
        req = AWSRequest(method="GET", url=self.gw.base + "/contacts/1")
        with mock.patch.object(botocore.auth, "datetime", shifted_datetime(datetime.timedelta(seconds=-120))):
            SigV4QueryAuth(Credentials(KEY, SECRET), "execute-api", "us-east-1", expires=60).add_auth(req)
        s, h, b = send(self.gw, req.prepare())
        self.assertEqual((s, h["x-amzn-errortype"]), (403, "InvalidSignatureException"))
        self.assertIn("Signature expired", json.loads(b)["message"])

    def test_unknown_route(self):
        s, _, b = curl(self.gw, "GET", "/no_such_route")
        self.assertEqual((s, json.loads(b)), (404, {"message": "Not Found"}))

    def test_malformed_json(self):
        s, _, b = curl(self.gw, "POST", "/contacts_insert", '{"company_id": 1, "first_name": ')
        self.assertEqual(s, 400)
        self.assertEqual(json.loads(b)["status_message"], "ERROR_INVALID_INPUT")
        self.assertCleanError(b)

    def test_body_over_10_mb(self):
        big = os.path.join(self.db.dir, "big.json")
        with open(big, "wb") as f:
            f.write(b'{"x":"' + b"a" * (11 * 1024 * 1024) + b'"}')
        s, h, b = curl(self.gw, "POST", "/contacts_insert", "@" + big)
        self.assertEqual((s, json.loads(b)), (413, {"message": "Request Entity Too Large"}))
        self.assertIn("apigw-requestid", h)
        # Without Expect: 100-continue the client is still sending: it must see the 413, not a reset.
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=30)
        try:
            conn.request("POST", "/contacts_insert", body=b"a" * (11 * 1024 * 1024),
                         headers={"content-type": "application/json"})
            r = conn.getresponse()
            self.assertEqual(r.status, 413)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the kernel may reset before the client reads; curl above covers the answer
        finally:
            conn.close()

    def test_sql_injection_strings_are_data(self):
        for text in ("'; DROP TABLE contacts; --", "%' OR '1'='1", "\\'; SELECT pg_sleep(5); --"):
            s, _, b = curl(self.gw, "POST", "/contacts_get_by_dynamic_filter",
                           json.dumps({"id": 0, "search_text": text, "created_at_start": "", "created_at_finish": ""}))
            self.assertIn(s, (200, 404), b)
            self.assertEqual(json.loads(b)["contacts_list"], [])
            self.assertCleanError(b)
        s, _, b = curl(self.gw, "POST", "/contacts_get_by_contact_id", '{"id": "1 OR 1=1"}')
        self.assertEqual(s, 400)
        self.assertCleanError(b)
        s, _, b = curl(self.gw, "GET", "/contacts/1%20OR%201=1")
        self.assertIn(s, (400, 403, 404))
        self.assertCleanError(b)
        self.assertGreaterEqual(int(self.db.psql("SELECT count(*) FROM contacts")), 3)

    def test_health_and_readiness(self):
        self.assertEqual(curl(self.gw, "GET", "/healthz", user=None)[0], 200)
        self.assertEqual(curl(self.gw, "GET", "/readyz", user=None)[0], 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
