"""gRPC user management against real clients.

A Python grpcio client generated from the seed's proto (unchanged, in
seed_proto/) calls the four servers that `cloudlet up` starts; health and
reflection are checked with stubs of gRPC's standard services (grpc_protos/);
the postgres store rides out a database restart; the json store survives
kill -9; `cloudlet usermgmt client` prints what the seed's client printed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

import support
import test_up

HERE = os.path.dirname(os.path.abspath(__file__))
STUBS = tempfile.mkdtemp(prefix="cloudlet-usermgmt-stubs-")


def generate_stubs():
    for include, proto in [(os.path.join(HERE, "seed_proto"), "usermgmt.proto"),
                           (os.path.join(HERE, "grpc_protos"), "health.proto"),
                           (os.path.join(HERE, "grpc_protos"), "reflection.proto")]:
        subprocess.run(["/usr/bin/python3", "-m", "grpc_tools.protoc", "-I", include,
                        f"--python_out={STUBS}", f"--grpc_python_out={STUBS}", proto], check=True)
    sys.path.insert(0, STUBS)


generate_stubs()
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402
import reflection_pb2  # noqa: E402
import reflection_pb2_grpc  # noqa: E402
import usermgmt_pb2  # noqa: E402  (the seed's proto)
import usermgmt_pb2_grpc  # noqa: E402
from google.protobuf import descriptor_pb2  # noqa: E402

STORES = ["none", "memory", "json", "postgres"]
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def seed_stub(address):
    return usermgmt_pb2_grpc.UserManagementStub(grpc.insecure_channel(address))


def health(address, service=""):
    stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(address))
    return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status


def wait_until(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except grpc.RpcError as e:
            last = e
        time.sleep(0.1)
    raise AssertionError(f"{what} not reached within {timeout}s (last error: {last})")


class UpServersTest(unittest.TestCase):
    """The four servers of `cloudlet up`, on one embedded cluster."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cloudlet-usermgmt-up-")
        cls.base = test_up.free_block_of_four()
        cls.pg_port = support.free_port()
        cls.proc = subprocess.Popen(
            [support.CLOUDLET, "up", "--data-dir", cls.dir, "--pg-port", str(cls.pg_port),
             "--gateway-listen", f"127.0.0.1:{support.free_port()}",
             "--events-listen", f"127.0.0.1:{support.free_port()}",
             "--usermgmt-base-port", str(cls.base)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        cls.banner = "".join(support.wait_for_line(cls.proc, "Press Ctrl-C to stop", timeout=180))
        cls.addresses = {store: f"127.0.0.1:{cls.base + i}" for i, store in enumerate(STORES)}

    @classmethod
    def tearDownClass(cls):
        cls.proc.send_signal(signal.SIGTERM)
        cls.proc.communicate(timeout=120)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_banner_lists_the_four_servers(self):
        for i, store in enumerate(STORES):
            self.assertIn(f"usermgmt-{store}", self.banner)
            self.assertIn(f"grpc 127.0.0.1:{self.base + i}", self.banner)

    def test_seed_client_creates_and_lists_on_every_server(self):
        for store, address in self.addresses.items():
            with self.subTest(store=store):
                stub = seed_stub(address)
                alice = stub.CreateNewUser(usermgmt_pb2.NewUser(name="Alice", age=43), timeout=10)
                bob = stub.CreateNewUser(usermgmt_pb2.NewUser(name="Bob", age=30), timeout=10)
                self.assertEqual((alice.name, alice.age), ("Alice", 43))
                self.assertEqual((bob.name, bob.age), ("Bob", 30))
                self.assertGreater(alice.id, 0)
                self.assertGreater(bob.id, alice.id)
                users = stub.GetUsers(usermgmt_pb2.GetUsersParams(), timeout=10).users
                if store == "none":
                    self.assertEqual(list(users), [])
                    continue
                got = [(u.name, u.age, u.id) for u in users]
                self.assertIn(("Alice", 43, alice.id), got)
                self.assertIn(("Bob", 30, bob.id), got)
                self.assertEqual([u.id for u in users], sorted(u.id for u in users))
                self.assertEqual(len({u.id for u in users}), len(got))

    def test_json_store_file_is_in_the_seeds_format(self):
        stub = seed_stub(self.addresses["json"])
        carol = stub.CreateNewUser(usermgmt_pb2.NewUser(name="Carol", age=51), timeout=10)
        with open(os.path.join(self.dir, "users.json")) as f:
            data = json.load(f)
        self.assertEqual(list(data.keys()), ["users"])
        self.assertIn({"name": "Carol", "age": 51, "id": carol.id}, data["users"])

    def test_postgres_store_writes_the_users_table(self):
        stub = seed_stub(self.addresses["postgres"])
        dave = stub.CreateNewUser(usermgmt_pb2.NewUser(name="Dave", age=64), timeout=10)
        url = support.run("db", "url", "--data-dir", self.dir, "--pg-port", str(self.pg_port)).stdout.strip()
        self.assertEqual(test_up.psql(url, f"SELECT name || ':' || age FROM users WHERE id = {dave.id}"), "Dave:64")

    def test_health_is_serving_for_both_names(self):
        for store, address in self.addresses.items():
            with self.subTest(store=store):
                self.assertEqual(health(address), SERVING)
                self.assertEqual(health(address, "usermgmt.UserManagement"), SERVING)
                with self.assertRaises(grpc.RpcError) as e:
                    health(address, "no.such.Service")
                self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_reflection_lists_and_describes_the_service(self):
        stub = reflection_pb2_grpc.ServerReflectionStub(grpc.insecure_channel(self.addresses["memory"]))
        requests = [reflection_pb2.ServerReflectionRequest(list_services=""),
                    reflection_pb2.ServerReflectionRequest(file_containing_symbol="usermgmt.UserManagement")]
        responses = list(stub.ServerReflectionInfo(iter(requests), timeout=10))
        names = {s.name for s in responses[0].list_services_response.service}
        self.assertTrue({"usermgmt.UserManagement", "grpc.health.v1.Health",
                         "grpc.reflection.v1alpha.ServerReflection"} <= names, names)
        files = [descriptor_pb2.FileDescriptorProto.FromString(b)
                 for b in responses[1].file_descriptor_response.file_descriptor_proto]
        usermgmt_file = [f for f in files if f.package == "usermgmt"][0]
        methods = {m.name: (m.input_type, m.output_type) for m in usermgmt_file.service[0].method}
        self.assertEqual(methods["CreateNewUser"], (".usermgmt.NewUser", ".usermgmt.User"))
        self.assertEqual(methods["GetUsers"], (".usermgmt.GetUsersParams", ".usermgmt.UsersList"))
        self.assertIn("GetUser", methods)
        self.assertIn("DeleteUser", methods)
        # The seed's field numbers are intact.
        fields = {m.name: {f.name: f.number for f in m.field} for m in usermgmt_file.message_type}
        self.assertEqual(fields["User"], {"name": 1, "age": 2, "id": 3})
        self.assertEqual(fields["NewUser"], {"name": 1, "age": 2})

    def test_invalid_input_is_invalid_argument_naming_the_field(self):
        cases = [("", 30, "name"), ("x" * 257, 30, "name"), ("Alice", -1, "age"), ("Alice", 201, "age")]
        for store, address in self.addresses.items():
            stub = seed_stub(address)
            for name, age, field in cases:
                with self.subTest(store=store, name=name[:10], age=age):
                    with self.assertRaises(grpc.RpcError) as e:
                        stub.CreateNewUser(usermgmt_pb2.NewUser(name=name, age=age), timeout=10)
                    self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                    self.assertTrue(e.exception.details().startswith(field), e.exception.details())

    def test_an_expired_deadline_is_deadline_exceeded(self):
        for store, address in self.addresses.items():
            with self.subTest(store=store):
                with self.assertRaises(grpc.RpcError) as e:
                    seed_stub(address).GetUsers(usermgmt_pb2.GetUsersParams(), timeout=0.000001)
                self.assertEqual(e.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)

    def test_cli_client_without_subcommand_does_what_the_seed_client_did(self):
        env = dict(os.environ, server_address=self.addresses["memory"])
        out = support.run("usermgmt", "client", env=env).stdout
        self.assertRegex(out, r"NAME: Alice\nAGE: 43\nID: \d+\n")
        self.assertRegex(out, r"NAME: Bob\nAGE: 30\nID: \d+\n")

    def test_cli_client_subcommands(self):
        server = ["--server", self.addresses["json"]]
        created = json.loads(support.run("usermgmt", "client", *server, "--json", "create",
                                         "--name", "Erin", "--age", "27").stdout)
        self.assertEqual((created["name"], created["age"]), ("Erin", 27))
        listed = json.loads(support.run("usermgmt", "client", *server, "--json", "list", "--name", "Er",
                                        "--prefix").stdout)
        self.assertIn(created, listed["users"])
        text = support.run("usermgmt", "client", *server, "get", str(created["id"])).stdout
        self.assertIn("NAME: Erin", text)
        table = support.run("usermgmt", "client", *server, "list", "--age", "27").stdout
        self.assertIn(f"{created['id']}\t27\tErin", table)
        support.run("usermgmt", "client", *server, "delete", str(created["id"]))
        missing = support.run("usermgmt", "client", *server, "get", str(created["id"]), check=False)
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("NOT_FOUND", missing.stderr)
        bad = support.run("usermgmt", "client", *server, "create", "--name", "Old", "--age", "300", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("INVALID_ARGUMENT: age", bad.stderr)

    def test_cli_client_reports_an_unreachable_server(self):
        port = support.free_port()
        out = support.run("usermgmt", "client", "--server", f"127.0.0.1:{port}", "--timeout", "3", "list",
                          check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("UNAVAILABLE", out.stderr)


def serve(store, *args):
    port = support.free_port()
    proc = subprocess.Popen([support.CLOUDLET, "usermgmt", "serve", "--store", store,
                             "--listen", f"127.0.0.1:{port}", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    support.wait_for_line(proc, "listening on", timeout=60)
    return proc, f"127.0.0.1:{port}"


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


class PostgresRestartTest(unittest.TestCase):
    def test_unavailable_while_the_database_is_down_then_recovers(self):
        with support.database() as db:
            proc, address = serve("postgres", "--database-url", db.url)
            try:
                stub = seed_stub(address)
                before = stub.CreateNewUser(usermgmt_pb2.NewUser(name="Before", age=1), timeout=10)
                self.assertEqual(health(address), SERVING)

                support.run("db", "stop", *db.flags)
                with self.assertRaises(grpc.RpcError) as e:
                    stub.CreateNewUser(usermgmt_pb2.NewUser(name="During", age=2), timeout=10)
                self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE)
                self.assertNotIn("postgresql://", e.exception.details())
                wait_until(lambda: health(address, "usermgmt.UserManagement") == NOT_SERVING, 10,
                           "health NOT_SERVING")

                support.run("db", "start", *db.flags)
                wait_until(lambda: stub.CreateNewUser(usermgmt_pb2.NewUser(name="After", age=3), timeout=5),
                           30, "a create after the restart")
                wait_until(lambda: health(address) == SERVING, 10, "health SERVING again")
                names = [u.name for u in stub.GetUsers(usermgmt_pb2.GetUsersParams(), timeout=10).users]
                self.assertEqual(names[0], "Before")
                self.assertIn("After", names)
                self.assertNotIn("During", names)
                self.assertEqual(before.id, stub.GetUsers(usermgmt_pb2.GetUsersParams(), timeout=10).users[0].id)
            finally:
                code, _, err = stop(proc)
            self.assertEqual(code, 0, err)
            self.assertNotIn(db.url, err)  # the connection string (with its password) never reaches a log


class JsonStoreProcessTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cloudlet-usermgmt-json-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.file = os.path.join(self.dir, "users.json")

    def test_kill_9_loses_no_acknowledged_user(self):
        proc, address = serve("json", "--json-file", self.file)
        stub = seed_stub(address)
        acked = [stub.CreateNewUser(usermgmt_pb2.NewUser(name=f"u{i}", age=i % 200), timeout=10).id
                 for i in range(50)]
        proc.kill()
        proc.communicate()
        proc, address = serve("json", "--json-file", self.file)
        try:
            ids = [u.id for u in seed_stub(address).GetUsers(usermgmt_pb2.GetUsersParams(), timeout=10).users]
            self.assertEqual(ids, acked)
        finally:
            stop(proc)

    def test_a_corrupt_file_is_refused_and_left_untouched(self):
        with open(self.file, "w") as f:
            f.write('{"users":[{"name":"Alice","age":43,"id":1}')
        out = subprocess.run([support.CLOUDLET, "usermgmt", "serve", "--store", "json", "--listen",
                              f"127.0.0.1:{support.free_port()}", "--json-file", self.file],
                             capture_output=True, text=True, timeout=60)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("not a valid users file", out.stderr)
        self.assertIn(self.file, out.stderr)
        with open(self.file) as f:
            self.assertEqual(f.read(), '{"users":[{"name":"Alice","age":43,"id":1}')


if __name__ == "__main__":
    try:
        unittest.main(verbosity=2)
    finally:
        shutil.rmtree(STUBS, ignore_errors=True)
