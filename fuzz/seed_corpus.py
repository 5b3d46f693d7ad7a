#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/corpus/<target>/ from the conformance data
and the tests already in the repository (fuzz/README.md says where each seed
comes from). Rerun after the sources change; files are named by meaning, and
a rerun rewrites them byte for byte, so `git diff` shows what moved.

Usage: fuzz/seed_corpus.py   (from anywhere; writes beside this script)
"""
import base64
import json
import re
import shutil
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
SRC = ROOT / "src"
AUTH_DATA = SRC / "auth" / "testdata"
MAX_BYTES = 10 * 1024

corpora = {}


def seed(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    assert len(data) < MAX_BYTES, (target, name, len(data))
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")
    corpora.setdefault(target, {})
    assert name not in corpora[target], (target, name)
    corpora[target][name] = data


def jsonl(path):
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


def raw_string_literals(path):
    """Every C++ raw string R"(...)" of a test file."""
    return re.findall(r'R"\((.*?)\)"', path.read_text(), re.S)


cases = jsonl(AUTH_DATA / "cases.jsonl")
negative = jsonl(AUTH_DATA / "derived-negative.jsonl")
clients = sorted((AUTH_DATA / "clients").glob("*.http"))

# --- fuzz_sigv4: the AWS suite (header form, signed; some presigned), the
# derived single-fault cases, the client captures.
for c in cases:
    seed("fuzz_sigv4", "suite-header-" + c["name"], c["header"]["signed_request"])
for c in cases[::6]:
    seed("fuzz_sigv4", "suite-query-" + c["name"], c["query"]["signed_request"])
for n in negative:
    seed("fuzz_sigv4", "negative-" + n["name"], n["raw_request"])
for f in clients:
    seed("fuzz_sigv4", "client-" + f.stem, f.read_bytes())

# --- fuzz_http_request: the wire bytes of real clients and the derived
# cases, the AWS suite as CRLF requests, and requests aimed at each route
# kind and limit.
for f in clients:
    seed("fuzz_http_request", "client-" + f.stem, f.read_bytes())
for n in negative[:10]:
    seed("fuzz_http_request", "negative-" + n["name"], n["raw_request"])
for c in cases[::4]:
    seed("fuzz_http_request", "suite-" + c["name"], c["header"]["signed_request"].replace("\n", "\r\n"))
crlf = "\r\n"
for name, head, body in [
    ("get-resource-id", "GET /contacts/3 HTTP/1.1", ""),
    ("get-company-contacts-query", "GET /companies/1/contacts?page=2&page_size=5&search=a%20b HTTP/1.1", ""),
    ("get-list-cursor", "GET /contacts?cursor=MTY2Mzc1NDQwMDAwMDAwMC4xLjI&page_size=1 HTTP/1.1", ""),
    ("put-resource", "PUT /contacts/2 HTTP/1.1", '{"company_id":1,"first_name":"A","last_name":"B","email":"a@b"}'),
    ("delete-dot-segments", "DELETE /a/../contacts//1 HTTP/1.1", ""),
    ("healthz", "GET /healthz HTTP/1.1", ""),
    ("fragment", "GET /contacts?#&search=x HTTP/1.1", ""),
    ("absolute-form", "GET http://127.0.0.1:8080/contacts HTTP/1.1", ""),
    ("binary-body", "POST /contacts_insert HTTP/1.1", "\x00\x01\xff{"),
    ("http10", "GET /openapi.json HTTP/1.0", ""),
]:
    headers = ["Host: 127.0.0.1:8080", "User-Agent: fuzz"]
    if body:
        ctype = "application/octet-stream" if name == "binary-body" else "application/json"
        headers += ["Content-Type: " + ctype, "Content-Length: %d" % len(body.encode("latin-1"))]
    seed("fuzz_http_request", "hand-" + name, (head + crlf + crlf.join(headers) + crlf + crlf + body).encode("latin-1"))
seed("fuzz_http_request", "hand-chunked-with-trailer",
     "POST /contacts HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
     "5\r\n{\"id\"\r\n3;ext=1\r\n:1}\r\n0\r\nX-Trailer: t\r\n\r\n")
seed("fuzz_http_request", "hand-obs-fold-and-repeats",
     "GET /contacts?a=1&a=2 HTTP/1.1\r\nHost: h\r\nX-A: one\r\n  two\r\nX-A: three\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n")
seed("fuzz_http_request", "hand-content-length-over-limit",
     "POST /contacts_insert HTTP/1.1\r\nHost: h\r\nContent-Length: 10485761\r\n\r\n{}")

# --- fuzz_iam_policy: every policy and statement of iam_test.cpp, the README's
# example, and matcher lines (pattern TAB text) in front of a policy.
def policy_doc(statements):
    return '{"Version":"2012-10-17","Statement":' + statements + "}"


iam_literals = raw_string_literals(SRC / "auth" / "iam_test.cpp")
n = 0
for lit in iam_literals:
    lit = lit.strip()
    if lit.startswith('{"Version"') or lit.startswith('{"Statement"'):
        doc = lit
    elif lit.startswith('{"Effect"') or lit.startswith('[{"Effect"'):
        doc = policy_doc(lit if lit.startswith("[") else "[" + lit + "]")
    elif lit.startswith("{") and '"aws:' in lit:  # a Condition block
        doc = policy_doc('[{"Effect":"Allow","Action":"*","Resource":"*","Condition":' + lit + "}]")
    else:
        continue
    if len(doc) >= MAX_BYTES:
        continue
    seed("fuzz_iam_policy", "iam_test-%02d" % n, doc)
    n += 1
readme = (ROOT / "README.md").read_text()
m = re.search(r'"policies": \[(\{"Version".*?\]\})\]\}', readme, re.S)
if m:
    seed("fuzz_iam_policy", "readme-reader-policy", re.sub(r"\s+", " ", m.group(1)))
for op in ["DateLessThan", "DateGreaterThanEquals", "NumericLessThan", "IpAddress", "NotIpAddress",
           "ArnLike", "StringLikeIfExists", "ForAnyValue:StringEquals", "ForAllValues:StringNotLike", "Null"]:
    value = {"Date": '"2026-11-28T06:00:00+00:00"', "Nume": "1795843534", "IpAd": '["127.0.0.0/8","::ffff:10.0.0.0/104"]',
             "NotI": '"10.0.0.1/32"', "ArnL": '"arn:aws:iam::*:user/*"', "Stri": '"al*"', "ForA": '["alpha","be?a"]',
             "Null": '"true"'}[op[:4]]
    key = {"Date": "aws:CurrentTime", "Nume": "aws:EpochTime", "IpAd": "aws:SourceIp", "NotI": "aws:SourceIp",
           "ArnL": "aws:PrincipalArn", "Stri": "aws:username", "ForA": "aws:TagKeys", "Null": "aws:Referer"}[op[:4]]
    seed("fuzz_iam_policy", "operator-" + op.replace(":", "-"),
         policy_doc('[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:*/$default/*",'
                    '"Condition":{"%s":{"%s":%s}}}]' % (op, key, value)))
for name, line in [
    ("arn-star", "arn:aws:execute-api:*:*:*/POST/*\tarn:aws:execute-api:us-east-1:000000000000:cloudlet/$default/POST/contacts_insert"),
    ("question-marks", "execute-api:Invok?\texecute-api:Invoke"),
    ("case", "EXECUTE-API:*\texecute-api:invoke"),
]:
    seed("fuzz_iam_policy", "matcher-" + name, line + "\n" + policy_doc('[{"Effect":"Allow","Action":"*","Resource":"*"}]'))

# --- fuzz_routes: the shipped routes file, the route documents of
# routes_test.cpp, and HTTP_PROXY tables with greedy and plain parameters.
seed("fuzz_routes", "routes.default.json", (SRC / "gateway" / "routes.default.json").read_bytes())
ints = '{"integrations":{"f":{"integration_type":"AWS_PROXY","integration_uri":"f","payload_format_version":"2.0"}},"routes":'
def route(key):
    return '{"route_key":"%s","target":"integrations/f"}' % key
seed("fuzz_routes", "aws-routing-example",
     ints + "[" + ",".join(route(k) for k in ["GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}",
                                               "ANY /{proxy+}", "$default"]) + "]}")
for i, lit in enumerate(l for l in raw_string_literals(SRC / "gateway" / "routes_test.cpp") if l.startswith('{"integrations"') and l.endswith("}")):
    seed("fuzz_routes", "routes_test-%02d" % i, lit)
for name, routes in [  # the refusals of routes_test.cpp
    ("greedy-not-last", '[{"route_key":"GET /a/{p+}/b","target":"integrations/f"}]'),
    ("unknown-method", '[{"route_key":"FETCH /a","target":"integrations/f"}]'),
    ("unknown-target", '[{"route_key":"GET /a","target":"integrations/g"}]'),
    ("duplicate-key", '[{"route_key":"GET /a","target":"integrations/f"},{"route_key":"GET /a","target":"integrations/f"}]'),
    ("jwt", '[{"route_key":"GET /a","target":"integrations/f","authorization_type":"JWT"}]'),
]:
    seed("fuzz_routes", "refused-" + name, ints + routes + "}")
seed("fuzz_routes", "lambda-arn-uri",
     '{"integrations":{"f":{"integration_type":"AWS_PROXY","payload_format_version":"2.0",'
     '"integration_uri":"arn:aws:lambda:us-east-1:123456789012:function:contacts_insert"}},'
     '"routes":[{"route_key":"POST /contacts/{id}/x","target":"integrations/f"}]}')
seed("fuzz_routes", "http-proxy-greedy",
     '{"integrations":{"up":{"integration_type":"HTTP_PROXY","integration_method":"ANY",'
     '"integration_uri":"http://127.0.0.1:9000/base/{proxy}","timeout_milliseconds":5000}},'
     '"routes":[{"route_key":"ANY /svc/{proxy+}","authorization_type":"AWS_IAM","target":"integrations/up"}]}')
seed("fuzz_routes", "http-proxy-params",
     '{"integrations":{"up":{"integration_type":"HTTP_PROXY","integration_method":"GET",'
     '"integration_uri":"http://127.0.0.1:9000/{a}/x/{b}?q={a}"}},'
     '"routes":[{"route_key":"GET /{a}/{b}","target":"integrations/up"},{"route_key":"$default","target":"integrations/up"}]}')

# --- fuzz_contacts_handlers: every request body of contacts_handlers_test.cpp,
# resource-API request lines, and the Lambda event of proxy_json_test.cpp.
bodies = sorted({l for l in raw_string_literals(SRC / "functions" / "contacts_handlers_test.cpp")
                 if l.startswith("{") and "\n" not in l})
for i, b in enumerate(bodies):
    seed("fuzz_contacts_handlers", "handlers_test-body-%02d" % i, b)
cursor = base64.urlsafe_b64encode(b"1663754400000000.1.2").rstrip(b"=").decode()
for name, text in [
    ("list-search", "GET /contacts?search=amazon&page_size=5"),
    ("list-dates", "GET /contacts?created_after=2022.09.20%2000:00:00&created_before=2022-09-28T00:00:00Z&page=2"),
    ("list-cursor", "GET /contacts?page_size=1&cursor=" + cursor),
    ("company-contacts", "GET /companies/1/contacts?page_size=1000"),
    ("get-id", "GET /contacts/1"),
    ("delete-id", "DELETE /contacts/7"),
    ("put-id", 'PUT /contacts/2\n{"company_id":1,"first_name":"Blair","last_name":"Ramsey","email":"b@x.org"}'),
    ("post", 'POST /contacts\n{"company_id":2,"first_name":"LeBron","last_name":"James","email":"lbj@x.org"}'),
    ("seed-route", 'POST /contacts_get_by_pagination\n{"id":0,"search_text":"","page_number":1,"page_size":5}'),
    ("openapi", "GET /openapi.json"),
]:
    seed("fuzz_contacts_handlers", "request-" + name, text)
proxy_lits = raw_string_literals(SRC / "functions" / "proxy_json_test.cpp")
seed("fuzz_contacts_handlers", "proxy_json_test-event", next(l for l in proxy_lits if l.lstrip().startswith('{\n    "version"')))

# --- fuzz_users_json: the seed's format as json_store_test.cpp writes and refuses it.
for i, lit in enumerate(l for l in raw_string_literals(SRC / "usermgmt" / "json_store_test.cpp") if l.startswith('{"user')):
    seed("fuzz_users_json", "json_store_test-%02d" % i, lit)
seed("fuzz_users_json", "seed-example",
     '{"users":[{"name":"Alice","age":43,"id":1},{"name":"Bob","age":30,"id":2}]}\n')
seed("fuzz_users_json", "unicode-and-limits",
     '{"users":[{"name":"Ren\\u00e9e \\ud83d\\ude00","age":200,"id":2147483646},{"name":"","age":0,"id":5}]}')
seed("fuzz_users_json", "empty-file", "")

# --- fuzz_dates: every date form the parsers accept, and near misses.
for i, d in enumerate([
    "20150830T123600Z", "20261128T052533Z", "00000101T000000Z", "20240229T235959Z", "20230229T000000Z",
    "2022.09.20 00:00:00", "2022.09.20", "2022-09-20T00:00:00Z", "2022-09-20T02:00:00.5+02:00",
    "2022-09-20", "2026-11-28T05:17:19.123456789Z", "2026-11-28T06:00:00+00:00", "2026-11-28T05:26:00-23:59",
    "1795843534", "9223372036854775807", "Sun, 06 Nov 1994 08:49:37 GMT", "Sat, 28 Nov 2026 05:26:00 GMT",
    "2026-11-28T23:59:60Z", "",
]):
    seed("fuzz_dates", "date-%02d" % i, d)

for target, files in sorted(corpora.items()):
    d = FUZZ / "corpus" / target
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    for name, data in sorted(files.items()):
        (d / name).write_bytes(data)
    print("%-24s %3d seeds" % (target, len(files)))
