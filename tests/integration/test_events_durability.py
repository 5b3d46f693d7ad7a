"""The event bus's delivery guarantees with real processes on one database:
an event accepted before a kill -9 of the events process is still delivered
after it restarts, and two `cloudlet events` processes on one database fire
a schedule once per scheduled minute (this test waits for real minutes)."""
import json
import os
import signal
import subprocess
import time
import unittest

import support
from test_events import AWS, wait_until


# A full-access principal from the environment (no credentials file needed).
KEY, SECRET = "AKIDDURABILITY0TEST", "durability/secret/key/for/tests/only000"
ENV = dict(os.environ, CLOUDLET_ACCESS_KEY_ID=KEY, CLOUDLET_SECRET_ACCESS_KEY=SECRET)


def start_events(db, port, *extra):
    proc = subprocess.Popen([support.CLOUDLET, "events", *db.flags, "--events-listen",
                             f"127.0.0.1:{port}", "--events-default-rules", "false",
                             "--events-retry-initial-backoff-ms", "100",
                             "--events-usermgmt-targets", "*", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    support.wait_for_line(proc, "Press Ctrl-C to stop", timeout=120)
    return proc


def serve_json(port, path):
    proc = subprocess.Popen([support.CLOUDLET, "usermgmt", "serve", "--store", "json", "--listen",
                             f"127.0.0.1:{port}", "--json-file", path],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    support.wait_for_line(proc, "listening on", timeout=60)
    return proc


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=120)


def users_in(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        text = f.read().strip()
    return json.loads(text)["users"] if text else []


class Cli:
    def __init__(self, db):
        self.env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET,
                        AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                        AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="",
                        AWS_MAX_ATTEMPTS="1")

    def events(self, port, *args):
        proc = subprocess.run([AWS, "events", *args, "--endpoint-url", f"http://127.0.0.1:{port}",
                               "--output", "json"], capture_output=True, text=True,
                              env=self.env, timeout=60)
        if proc.returncode != 0:
            raise AssertionError(f"aws events {args[0]}: {proc.stderr}")
        return json.loads(proc.stdout) if proc.stdout.strip() else None


class DurabilityTest(unittest.TestCase):
    def setUp(self):
        self.db = support.Database()
        self.addCleanup(self.db.close)

    def test_an_event_accepted_before_kill_9_is_delivered_after_restart(self):
        port = support.free_port()
        target_port = support.free_port()
        users = os.path.join(self.db.dir, "users.json")
        events = start_events(self.db, port)
        self.addCleanup(stop, events)
        cli = Cli(self.db)
        arn = f"arn:cloudlet:usermgmt:us-east-1:000000000000:server/127.0.0.1:{target_port}"
        cli.events(port, "put-rule", "--name", "k9", "--event-pattern", '{"source":["k9"]}')
        cli.events(port, "put-targets", "--rule", "k9", "--targets", json.dumps([
            {"Id": "json", "Arn": arn, "Input": '{"name":"Kilo","age":9}'}]))
        # The target is down: the event is accepted and waits for it.
        out = cli.events(port, "put-events", "--entries", json.dumps([
            {"Source": "k9", "DetailType": "d", "Detail": "{}"}]))
        self.assertEqual(out["FailedEntryCount"], 0)
        events.send_signal(signal.SIGKILL)
        events.wait(timeout=30)
        target = serve_json(target_port, users)
        self.addCleanup(stop, target)
        self.assertEqual(users_in(users), [], "nothing delivered before the restart")
        events = start_events(self.db, port)
        self.addCleanup(stop, events)
        wait_until(lambda: any(u.get("name") == "Kilo" for u in users_in(users)), timeout=60,
                   what="the event delivered after the restart")

    def test_two_processes_fire_a_schedule_once_per_minute(self):
        ports = [support.free_port(), support.free_port()]
        target_port = support.free_port()
        users = os.path.join(self.db.dir, "ticks.json")
        target = serve_json(target_port, users)
        self.addCleanup(stop, target)
        procs = [start_events(self.db, p) for p in ports]
        for p in procs:
            self.addCleanup(stop, p)
        cli = Cli(self.db)
        arn = f"arn:cloudlet:usermgmt:us-east-1:000000000000:server/127.0.0.1:{target_port}"
        cli.events(ports[0], "put-rule", "--name", "tick", "--schedule-expression",
                   "cron(* * * * ? *)")
        cli.events(ports[1], "put-targets", "--rule", "tick", "--targets", json.dumps([
            {"Id": "json", "Arn": arn, "InputTransformer": {
                "InputPathsMap": {"t": "$.time"},
                "InputTemplate": '{"name": <t>, "age": 1}'}}]))
        # Two scheduled minutes pass with both processes ticking.
        wait_until(lambda: len(users_in(users)) >= 2, timeout=150, what="two firings")
        time.sleep(3)  # a duplicate would come within the same minute
        fired = self.db.psql("SELECT count(*) FROM event_schedule_fires WHERE rule = 'tick'")
        names = [u["name"] for u in users_in(users)]
        self.assertEqual(len(names), len(set(names)), f"an instant fired twice: {names}")
        self.assertGreaterEqual(int(fired), len(names))
        for name in names:
            self.assertRegex(name, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$")


if __name__ == "__main__":
    unittest.main()
