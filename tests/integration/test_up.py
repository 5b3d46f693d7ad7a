"""`cloudlet up` creates its cluster from an empty data dir, serves the
schema and seed data, stops cleanly on SIGTERM, and starts again on the same
data (keeping what was written)."""
import json
import os
import signal
import subprocess
import tempfile
import shutil
import unittest

import support


def start_up(data_dir, port):
    proc = subprocess.Popen([support.CLOUDLET, "up", "--data-dir", data_dir, "--pg-port", str(port),
                             *extra_port_flags()],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = support.wait_for_line(proc, "Press Ctrl-C to stop", timeout=120)
    return proc, "".join(lines)


def extra_port_flags():
    """Free ports for every service `up` starts, so tests never collide."""
    return ["--gateway-listen", f"127.0.0.1:{support.free_port()}",
            "--events-listen", f"127.0.0.1:{support.free_port()}",
            "--usermgmt-base-port", str(free_block_of_four())]


def free_block_of_four():
    for _ in range(50):
        base = support.free_port()
        if base > 65000:
            continue
        ok = True
        for p in range(base, base + 4):
            import socket
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
        if ok:
            return base
    raise AssertionError("no block of four free ports")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def secret_of(data_dir):
    with open(os.path.join(data_dir, "credentials.json")) as f:
        return json.load(f)["principals"][0]["secret_access_key"]


def psql(url, sql):
    return subprocess.run(["psql", url, "-XAtqc", sql], capture_output=True, text=True,
                          check=True).stdout.strip()


class UpTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cloudlet-up-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.port = support.free_port()

    def test_first_and_second_start(self):
        proc, banner = start_up(self.dir, self.port)
        try:
            self.assertIn("DATABASE_URL=postgresql://cloudlet:***@", banner)
            self.assertNotIn(open(os.path.join(self.dir, "pg.password")).read().strip(), banner)
            url = support.run("db", "url", "--data-dir", self.dir, "--pg-port", str(self.port)).stdout.strip()
            self.assertIn(f"127.0.0.1:{self.port}/cloudlet", url)
            self.assertEqual(psql(url, "SELECT string_agg(name, ',' ORDER BY id) FROM companies"),
                             "amazon,google,microsoft")
            self.assertEqual(psql(url, "SELECT first_name FROM contacts_get_by_contact_id(3)"), "Pearl")
            # The banner's psql command and signed curl command work as printed.
            psql_cmd = next(l for l in banner.splitlines() if "psql" in l).strip()
            self.assertEqual(subprocess.run(["bash", "-c", psql_cmd + " -XAtqc 'SELECT 42'"],
                                            capture_output=True, text=True).stdout.strip(), "42")
            curl_cmd = next(l for l in banner.splitlines() if "curl --aws-sigv4" in l)
            curl_cmd = curl_cmd.split("try", 1)[1].strip()
            answer = subprocess.run(["bash", "-c", curl_cmd + " -sS"], capture_output=True, text=True)
            body = json.loads(answer.stdout)
            self.assertEqual(body["status_code"], 200, answer)
            self.assertEqual(body["contact"]["first_name"], "Adele")
            self.assertIn("new development key", banner)
            self.assertNotIn(secret_of(self.dir), banner)
            psql(url, "SELECT contacts_insert(1, 'Kept', 'AcrossRestarts', 'kept@x.io')")
            # The password file is private.
            mode = os.stat(os.path.join(self.dir, "pg.password")).st_mode & 0o777
            self.assertEqual(mode, 0o600)
        finally:
            code, out, err = stop(proc)
        self.assertEqual(code, 0, err)
        self.assertIn("cloudlet stopped", out)
        self.assertNotIn("pg.password", err)

        # Second start reuses the cluster and keeps the data.
        proc, banner = start_up(self.dir, self.port)
        try:
            url = support.run("db", "url", "--data-dir", self.dir, "--pg-port", str(self.port)).stdout.strip()
            self.assertEqual(psql(url, "SELECT count(*) FROM contacts WHERE last_name = 'AcrossRestarts'"), "1")
            status = support.run("db", "status", "--data-dir", self.dir, "--pg-port", str(self.port)).stdout
            self.assertIn("0001_schema.sql", status)
            self.assertNotIn("pending", status)
        finally:
            code, _, err = stop(proc)
        self.assertEqual(code, 0, err)

    def test_recovers_a_cluster_left_running_by_a_crash(self):
        proc, _ = start_up(self.dir, self.port)
        proc.kill()  # SIGKILL: PostgreSQL stays up, owner.pid is stale
        proc.wait()
        proc, banner = start_up(self.dir, self.port)
        try:
            url = support.run("db", "url", "--data-dir", self.dir, "--pg-port", str(self.port)).stdout.strip()
            self.assertEqual(psql(url, "SELECT count(*) FROM contacts"), "3")
        finally:
            code, _, err = stop(proc)
        self.assertEqual(code, 0, err)

    def test_port_in_use_is_a_clear_error(self):
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", self.port))
            s.listen()
            proc = subprocess.run([support.CLOUDLET, "up", "--data-dir", self.dir, "--pg-port", str(self.port)],
                                  capture_output=True, text=True, timeout=120)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(f"port {self.port} on 127.0.0.1 is already in use", proc.stderr)

    def test_a_failed_start_leaves_nothing_running(self):
        routes = os.path.join(self.dir, "routes.json")
        with open(routes, "w") as f:
            f.write('{"routes": [{"route_key": "GET /x", "target": "integrations/missing"}]}')
        proc = subprocess.run([support.CLOUDLET, "up", "--data-dir", self.dir, "--pg-port", str(self.port),
                               "--routes-file", routes, *extra_port_flags()],
                              capture_output=True, text=True, timeout=120)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("missing", proc.stderr)
        # The embedded PostgreSQL was stopped again: its port is free.
        import socket
        with socket.socket() as s:
            self.assertNotEqual(s.connect_ex(("127.0.0.1", self.port)), 0)

    def test_unwritable_data_dir_is_a_clear_error(self):
        proc = subprocess.run([support.CLOUDLET, "db", "start", "--data-dir", "/proc/cloudlet-nope"],
                              capture_output=True, text=True, timeout=60)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("data directory", proc.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
