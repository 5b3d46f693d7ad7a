"""The event bus through Debian's AWS CLI (/usr/bin/aws, awscli 2.9.19):
every EventBridge action with `--endpoint-url`, AWS's errors for bad input,
rules and targets surviving a restart, and the seed's chain: PutEvents →
the default rule → the built-in gRPC target → Alice and Bob in a store.

One `cloudlet up` per test class (free ports, a temporary data dir); the CLI
gets the development key from `cloudlet credentials --format env`."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import support
from test_up import free_block_of_four, psql, start_up, stop

AWS = "/usr/bin/aws"


class Bus:
    """A running `cloudlet up` and an `aws events` runner for it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cloudlet-events-")
        self.pg_port = support.free_port()
        self.events_port = support.free_port()
        self.usermgmt_base = free_block_of_four()
        self.gateway_port = support.free_port()
        self.dead_port = support.free_port()  # a server that never answers, for retries
        self.start()
        creds = support.run("credentials", "--format", "json", "--data-dir", self.dir,
                            "--pg-port", str(self.pg_port)).stdout
        creds = json.loads(creds)
        self.env = dict(os.environ,
                        AWS_ACCESS_KEY_ID=creds["access_key_id"],
                        AWS_SECRET_ACCESS_KEY=creds["secret_access_key"],
                        AWS_DEFAULT_REGION="us-east-1",
                        AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                        AWS_PAGER="", AWS_RETRY_MODE="standard", AWS_MAX_ATTEMPTS="1")
        self.url = support.run("db", "url", "--data-dir", self.dir, "--pg-port",
                               str(self.pg_port)).stdout.strip()

    def start(self):
        flags = ["--events-listen", f"127.0.0.1:{self.events_port}",
                 "--usermgmt-base-port", str(self.usermgmt_base),
                 "--gateway-listen", f"127.0.0.1:{self.gateway_port}",
                 "--events-retry-initial-backoff-ms", "100",
                 "--events-usermgmt-targets",
                 ",".join(f"127.0.0.1:{p}" for p in
                          [*range(self.usermgmt_base, self.usermgmt_base + 4), self.dead_port])]
        proc = subprocess.Popen([support.CLOUDLET, "up", "--data-dir", self.dir, "--pg-port",
                                 str(self.pg_port), *flags],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        support.wait_for_line(proc, "Press Ctrl-C to stop", timeout=120)
        self.proc = proc

    def restart(self):
        stop(self.proc)
        self.start()

    def aws(self, *args, check=True):
        """Runs `aws events ARGS`; returns (exit code, parsed stdout or None, stderr)."""
        proc = subprocess.run([AWS, "events", *args, "--endpoint-url",
                               f"http://127.0.0.1:{self.events_port}", "--output", "json"],
                              capture_output=True, text=True, env=self.env, timeout=60)
        out = json.loads(proc.stdout) if proc.stdout.strip() else None
        if check and proc.returncode != 0:
            raise AssertionError(f"aws events {' '.join(args)} failed ({proc.returncode}):"
                                 f"\n{proc.stdout}\n{proc.stderr}")
        return proc.returncode, out, proc.stderr

    def curl(self, path, body):
        """A signed POST to the gateway with Debian's curl: (status, body)."""
        key = self.env["AWS_ACCESS_KEY_ID"] + ":" + self.env["AWS_SECRET_ACCESS_KEY"]
        out = subprocess.run(["/usr/bin/curl", "-s", "-w", "\n%{http_code}", "--aws-sigv4",
                              "aws:amz:us-east-1:execute-api", "--user", key, "-H",
                              "content-type: application/json", "--data-binary", body,
                              f"http://127.0.0.1:{self.gateway_port}{path}"],
                             capture_output=True, text=True, check=True, timeout=60).stdout
        text, _, status = out.rpartition("\n")
        return int(status), text

    def close(self):
        code, out, err = stop(self.proc)
        self.stderr = err
        if not os.environ.get("CLOUDLET_KEEP_TEST_DIRS"):
            shutil.rmtree(self.dir, ignore_errors=True)
        return code


def wait_until(predicate, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


SEED_PATTERN = ('{"source":["com.srcecde.app"],"detail-type":["sampledata"],'
                '"detail":{"name":["trigger_usermgmt_op4_db_postgres"]}}')


class EventsCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bus = Bus()

    @classmethod
    def tearDownClass(cls):
        cls.bus.close()
        # No secret reaches the process's own log.
        creds = cls.bus.env["AWS_SECRET_ACCESS_KEY"]
        assert creds not in cls.bus.stderr, "the secret key was logged"

    def aws(self, *args, **kw):
        return self.bus.aws(*args, **kw)

    def assert_error(self, code_and_err, error_type, text=None):
        code, _, err = code_and_err
        self.assertNotEqual(code, 0)
        self.assertIn(f"An error occurred ({error_type})", err)
        if text is not None:
            self.assertIn(text, err)

    def test_rule_lifecycle(self):
        _, out, _ = self.aws("put-rule", "--name", "life", "--event-pattern",
                             '{"source":["a.b"]}', "--description", "first")
        self.assertEqual(out["RuleArn"], "arn:aws:events:us-east-1:000000000000:rule/life")
        _, out, _ = self.aws("describe-rule", "--name", "life")
        self.assertEqual(out["Name"], "life")
        self.assertEqual(out["EventPattern"], '{"source":["a.b"]}')
        self.assertEqual(out["State"], "ENABLED")
        self.assertEqual(out["Description"], "first")
        self.assertEqual(out["EventBusName"], "default")
        self.assertEqual(out["CreatedBy"], "000000000000")
        # PutRule replaces: the description not given is gone.
        self.aws("put-rule", "--name", "life", "--event-pattern", '{"source":["c"]}')
        _, out, _ = self.aws("describe-rule", "--name", "life")
        self.assertNotIn("Description", out)
        self.aws("disable-rule", "--name", "life")
        self.assertEqual(self.aws("describe-rule", "--name", "life")[1]["State"], "DISABLED")
        self.aws("enable-rule", "--name", "life")
        self.assertEqual(self.aws("describe-rule", "--name", "life")[1]["State"], "ENABLED")
        self.aws("delete-rule", "--name", "life")
        self.assert_error(self.aws("describe-rule", "--name", "life", check=False),
                          "ResourceNotFoundException",
                          "Rule life does not exist on EventBus default.")
        # Deleting again is not an error.
        self.aws("delete-rule", "--name", "life")

    def test_list_rules_pages_in_name_order(self):
        for i in range(5):
            self.aws("put-rule", "--name", f"page-{i}", "--event-pattern", '{"source":["p"]}')
        _, first, _ = self.aws("list-rules", "--name-prefix", "page-", "--limit", "2",
                               "--no-paginate")
        self.assertEqual([r["Name"] for r in first["Rules"]], ["page-0", "page-1"])
        self.assertIn("NextToken", first)
        _, second, _ = self.aws("list-rules", "--name-prefix", "page-", "--limit", "2",
                                "--next-token", first["NextToken"], "--no-paginate")
        self.assertEqual([r["Name"] for r in second["Rules"]], ["page-2", "page-3"])
        # The CLI's own pagination walks every page.
        _, every, _ = self.aws("list-rules", "--name-prefix", "page-")
        self.assertEqual([r["Name"] for r in every["Rules"]], [f"page-{i}" for i in range(5)])
        self.assertNotIn("CreatedBy", every["Rules"][0])
        # A token given with other arguments is refused.
        self.assert_error(self.aws("list-rules", "--name-prefix", "pag", "--next-token",
                                   first["NextToken"], "--no-paginate", check=False),
                          "ValidationException")

    def test_invalid_pattern_and_schedule_and_missing_both(self):
        self.assert_error(self.aws("put-rule", "--name", "bad", "--event-pattern",
                                   '{"source":"not-an-array"}', check=False),
                          "InvalidEventPatternException", "Event pattern is not valid.")
        self.assert_error(self.aws("put-rule", "--name", "bad", "--schedule-expression",
                                   "rate(0 minutes)", check=False),
                          "ValidationException", "Parameter ScheduleExpression is not valid.")
        self.assert_error(self.aws("put-rule", "--name", "bad", check=False),
                          "ValidationException", "EventPattern or ScheduleExpression")
        self.assert_error(self.aws("put-rule", "--name", "bad name", "--event-pattern",
                                   '{"source":["a"]}', check=False),
                          "ValidationException",
                          "Value 'bad name' at 'name' failed to satisfy constraint: Member must "
                          "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
        self.assert_error(self.aws("describe-rule", "--name", "bad", check=False),
                          "ResourceNotFoundException")

    def test_targets(self):
        self.aws("put-rule", "--name", "tg", "--event-pattern", '{"source":["t"]}')
        arn = f"arn:cloudlet:usermgmt:us-east-1:000000000000:server/127.0.0.1:{self.bus.usermgmt_base + 1}"
        _, out, _ = self.aws("put-targets", "--rule", "tg", "--targets", json.dumps([
            {"Id": "one", "Arn": arn, "InputPath": "$.detail",
             "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 120}},
            {"Id": "two", "Arn": arn, "Input": '{"name":"Carol","age":51}'},
            {"Id": "bad", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"},
            # A server the operator did not list: the bus never calls it.
            {"Id": "elsewhere", "Arn": "arn:cloudlet:usermgmt:us-east-1:000000000000:server/10.0.0.5:50051"},
            {"Id": "fn", "Arn": "arn:aws:lambda:us-east-1:000000000000:function:contacts_insert"},
            {"Id": "nofn", "Arn": "arn:aws:lambda:us-east-1:000000000000:function:nothing_here"},
            # Off by default: Run Command runs programs here, HTTP reaches out.
            {"Id": "ssm", "Arn": "arn:aws:ssm:us-east-1::document/AWS-RunShellScript",
             "Input": '{"commands": ["/bin/true"]}'},
            {"Id": "web", "Arn": "arn:cloudlet:http:us-east-1:000000000000:url/http://127.0.0.1:9/x"},
        ]))
        self.assertEqual(out["FailedEntryCount"], 5)
        failed = {f["TargetId"]: f["ErrorMessage"] for f in out["FailedEntries"]}
        self.assertEqual(sorted(failed), ["bad", "elsewhere", "nofn", "ssm", "web"])
        self.assertIn("events.usermgmt_targets", failed["elsewhere"])
        self.assertIn("not hosted", failed["nofn"])
        self.assertIn("events.run_command_enabled", failed["ssm"])
        self.assertIn("events.http_targets", failed["web"])
        _, listed, _ = self.aws("list-targets-by-rule", "--rule", "tg")
        self.assertEqual([t["Id"] for t in listed["Targets"]], ["one", "two", "fn"])  # as put
        self.assertEqual(listed["Targets"][0]["RetryPolicy"]["MaximumRetryAttempts"], 2)
        self.assertEqual(listed["Targets"][1]["Input"], '{"name":"Carol","age":51}')
        # A rule with targets cannot be deleted.
        self.assert_error(self.aws("delete-rule", "--name", "tg", check=False),
                          "ValidationException", "Rule can't be deleted since it has targets.")
        # Only one of Input, InputPath, InputTransformer.
        self.assert_error(self.aws("put-targets", "--rule", "tg", "--targets", json.dumps([
            {"Id": "x", "Arn": arn, "Input": "{}", "InputPath": "$"}]), check=False),
            "ValidationException",
            "Only one of Input, InputPath, or InputTransformer must be provided for target x.")
        self.assert_error(self.aws("put-targets", "--rule", "tg", "--targets", json.dumps([
            {"Id": "x", "Arn": arn, "InputTransformer": {"InputTemplate": "<nope>"}}]),
            check=False), "ValidationException", "contains invalid placeholder nope")
        # More than five targets on one rule.
        self.assert_error(self.aws("put-targets", "--rule", "tg", "--targets", json.dumps([
            {"Id": f"m{i}", "Arn": arn} for i in range(4)]), check=False),
            "LimitExceededException")
        _, out, _ = self.aws("remove-targets", "--rule", "tg", "--ids", "one", "two", "fn", "ghost")
        self.assertEqual(out["FailedEntryCount"], 1)
        self.assertEqual(out["FailedEntries"][0]["TargetId"], "ghost")
        self.aws("delete-rule", "--name", "tg")
        self.assert_error(self.aws("put-targets", "--rule", "tg", "--targets", json.dumps([
            {"Id": "x", "Arn": arn}]), check=False), "ResourceNotFoundException")

    def test_put_events_errors(self):
        entry = {"Source": "s", "DetailType": "d", "Detail": "{}"}
        self.assert_error(self.aws("put-events", "--entries", json.dumps([entry] * 11),
                                   check=False), "ValidationException",
                          "Member must have length less than or equal to 10")
        big = dict(entry, Detail=json.dumps({"x": "y" * 1048576}))
        # Too big for a command line: the CLI reads it from a file.
        path = os.path.join(self.bus.dir, "big-entries.json")
        with open(path, "w") as f:
            json.dump([big], f)
        self.assert_error(self.aws("put-events", "--entries", f"file://{path}", check=False),
                          "ValidationException",
                          "Total size of the entries in the request is over the limit.")
        _, out, _ = self.aws("put-events", "--entries", json.dumps([
            entry, {"Source": "s", "DetailType": "d"}, dict(entry, Detail="[]")]))
        self.assertEqual(out["FailedEntryCount"], 2)
        self.assertIn("EventId", out["Entries"][0])
        self.assertEqual(out["Entries"][1]["ErrorCode"], "InvalidArgument")
        self.assertEqual(out["Entries"][2]["ErrorCode"], "MalformedDetail")

    def test_test_event_pattern(self):
        event = json.dumps({"id": "1", "detail-type": "sampledata", "source": "com.srcecde.app",
                            "account": "123456789012", "time": "2024-01-01T00:00:00Z",
                            "region": "us-east-1", "resources": [],
                            "detail": {"name": "trigger_usermgmt_op4_db_postgres"}})
        _, out, _ = self.aws("test-event-pattern", "--event-pattern", SEED_PATTERN,
                             "--event", event)
        self.assertEqual(out, {"Result": True})
        _, out, _ = self.aws("test-event-pattern", "--event-pattern",
                             '{"source":["other"]}', "--event", event)
        self.assertEqual(out, {"Result": False})
        self.assert_error(self.aws("test-event-pattern", "--event-pattern", '{"source":["x"]}',
                                   "--event", '{"source":"x"}', check=False),
                          "ValidationException", "Parameter Event is not valid.")
        self.assert_error(self.aws("test-event-pattern", "--event-pattern", "[]", "--event",
                                   event, check=False), "InvalidEventPatternException")

    def test_event_buses(self):
        _, out, _ = self.aws("create-event-bus", "--name", "orders")
        self.assertEqual(out["EventBusArn"],
                         "arn:aws:events:us-east-1:000000000000:event-bus/orders")
        self.assert_error(self.aws("create-event-bus", "--name", "orders", check=False),
                          "ResourceAlreadyExistsException", "Event bus orders already exists.")
        _, out, _ = self.aws("describe-event-bus", "--name", "orders")
        self.assertEqual(out["Name"], "orders")
        # (CreationTime is sent, but awscli 2.9.19's model predates it and drops it.)
        _, out, _ = self.aws("list-event-buses")
        self.assertEqual(sorted(b["Name"] for b in out["EventBuses"]), ["default", "orders"])
        # Rules on a custom bus: patterns yes, schedules no.
        _, out, _ = self.aws("put-rule", "--name", "o1", "--event-bus-name", "orders",
                             "--event-pattern", '{"source":["o"]}')
        self.assertEqual(out["RuleArn"], "arn:aws:events:us-east-1:000000000000:rule/orders/o1")
        self.assert_error(self.aws("put-rule", "--name", "o2", "--event-bus-name", "orders",
                                   "--schedule-expression", "rate(1 minute)", check=False),
                          "ValidationException",
                          "ScheduleExpression is supported only on the default event bus.")
        self.assert_error(self.aws("delete-event-bus", "--name", "orders", check=False),
                          "ValidationException")
        self.aws("delete-rule", "--name", "o1", "--event-bus-name", "orders")
        self.aws("delete-event-bus", "--name", "orders")
        self.assert_error(self.aws("describe-event-bus", "--name", "orders", check=False),
                          "ResourceNotFoundException", "Event bus orders does not exist.")
        self.assert_error(self.aws("delete-event-bus", "--name", "default", check=False),
                          "ValidationException", "Cannot delete event bus default.")
        self.assert_error(self.aws("put-rule", "--name", "x", "--event-bus-name", "nobus",
                                   "--event-pattern", '{"source":["o"]}', check=False),
                          "ResourceNotFoundException", "Event bus nobus does not exist.")

    def test_default_rules_ship_and_the_seed_event_creates_alice_and_bob(self):
        _, out, _ = self.aws("list-rules", "--name-prefix", "trigger_usermgmt_")
        names = {r["Name"]: r for r in out["Rules"]}
        for store in ["op1_no_persistence", "op2_in_memory", "op3_json_file", "op4_db_postgres"]:
            self.assertEqual(names[f"trigger_usermgmt_{store}"]["State"], "ENABLED")
        self.assertEqual(names["trigger_usermgmt_every_minute"]["State"], "DISABLED")
        self.assertEqual(names["trigger_usermgmt_every_minute"]["ScheduleExpression"],
                         "cron(* * * * ? *)")
        before = int(psql(self.bus.url, "SELECT count(*) FROM users WHERE name IN ('Alice','Bob')"))
        _, out, _ = self.aws("put-events", "--entries", json.dumps([{
            "Source": "com.srcecde.app", "DetailType": "sampledata",
            "Detail": json.dumps({"name": "trigger_usermgmt_op4_db_postgres"})}]))
        self.assertEqual(out["FailedEntryCount"], 0)
        wait_until(lambda: int(psql(self.bus.url, "SELECT count(*) FROM users WHERE name IN "
                                                  "('Alice','Bob')")) == before + 2,
                   what="Alice and Bob in the postgres store")
        ages = psql(self.bus.url, "SELECT string_agg(name || ':' || age, ',' ORDER BY id) FROM "
                                  "(SELECT * FROM users ORDER BY id DESC LIMIT 2) u")
        self.assertEqual(ages, "Alice:43,Bob:30")

    def test_a_failing_target_is_retried_then_dead_lettered(self):
        arn = f"arn:cloudlet:usermgmt:us-east-1:000000000000:server/127.0.0.1:{self.bus.dead_port}"
        self.aws("put-rule", "--name", "dlq", "--event-pattern", '{"source":["dlq.test"]}')
        self.aws("put-targets", "--rule", "dlq", "--targets", json.dumps([
            {"Id": "down", "Arn": arn, "RetryPolicy": {"MaximumRetryAttempts": 2,
                                                      "MaximumEventAgeInSeconds": 60}}]))
        _, out, _ = self.aws("put-events", "--entries", json.dumps([
            {"Source": "dlq.test", "DetailType": "d", "Detail": "{}"}]))
        event_id = out["Entries"][0]["EventId"]

        def dead_letter():
            lines = support.run("events", "dead-letters", "--data-dir", self.bus.dir,
                                "--pg-port", str(self.bus.pg_port)).stdout.splitlines()
            for line in lines:
                d = json.loads(line)
                if d["EventId"] == event_id:
                    return d
            return None
        d = wait_until(dead_letter, timeout=30, what="the dead letter")
        self.assertEqual(d["RULE_ARN"], "arn:aws:events:us-east-1:000000000000:rule/dlq")
        self.assertEqual(d["TARGET_ARN"], arn)
        self.assertEqual(d["EXHAUSTED_RETRY_CONDITION"], "MaximumRetryAttempts")
        self.assertEqual(d["RETRY_ATTEMPTS"], 2)

    def test_a_slow_target_does_not_hold_up_other_rules(self):
        # A server that takes connections and never answers: each attempt on
        # it waits for its deadline, holding one delivery worker.
        import socket
        silent = socket.socket()
        silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        silent.bind(("127.0.0.1", self.bus.dead_port))
        silent.listen(64)
        self.addCleanup(silent.close)
        slow = f"arn:cloudlet:usermgmt:us-east-1:000000000000:server/127.0.0.1:{self.bus.dead_port}"
        fast = f"arn:cloudlet:usermgmt:us-east-1:000000000000:server/127.0.0.1:{self.bus.usermgmt_base + 1}"
        self.aws("put-rule", "--name", "slow", "--event-pattern", '{"source":["slow.test"]}')
        self.aws("put-targets", "--rule", "slow", "--targets", json.dumps([
            {"Id": f"s{i}", "Arn": slow, "Input": "{}"} for i in range(3)]))
        self.aws("put-rule", "--name", "fast", "--event-pattern", '{"source":["slow.test"]}')
        self.aws("put-targets", "--rule", "fast", "--targets", json.dumps([
            {"Id": "memory", "Arn": fast, "Input": '{"name":"Quick","age":5}'}]))
        started = time.monotonic()
        self.aws("put-events", "--entries", json.dumps([
            {"Source": "slow.test", "DetailType": "d", "Detail": "{}"}]))
        from test_usermgmt import seed_stub, usermgmt_pb2
        stub = seed_stub(f"127.0.0.1:{self.bus.usermgmt_base + 1}")
        wait_until(lambda: any(u.name == "Quick" for u in stub.GetUsers(
            usermgmt_pb2.GetUsersParams(), timeout=10).users), timeout=30, what="the fast rule")
        # The slow rule's three deliveries are still owed (in flight or
        # waiting to retry): the fast one did not wait for them.
        self.assertEqual(psql(self.bus.url, "SELECT count(*) FROM event_deliveries WHERE "
                                            "rule = 'slow'"), "3",
                         f"after {time.monotonic() - started:.1f}s")
        self.aws("remove-targets", "--rule", "slow", "--ids", "s0", "s1", "s2")


class SeedChainTest(unittest.TestCase):
    """curl → POST /trigger_usermgmt (EventBridge-PutEvents) → default rule →
    gRPC target → Alice and Bob, for each of the four stores."""

    @classmethod
    def setUpClass(cls):
        cls.bus = Bus()

    @classmethod
    def tearDownClass(cls):
        cls.bus.close()

    def trigger(self, store):
        status, text = self.bus.curl("/trigger_usermgmt",
                                     json.dumps({"detail": {"name": f"trigger_usermgmt_{store}"}}))
        self.assertEqual(status, 200, text)
        out = json.loads(text)
        self.assertEqual(out["FailedEntryCount"], 0)
        return out["Entries"][0]["EventId"]

    def users(self, index):
        from test_usermgmt import seed_stub, usermgmt_pb2
        stub = seed_stub(f"127.0.0.1:{self.bus.usermgmt_base + index}")
        return [(u.name, u.age) for u in stub.GetUsers(usermgmt_pb2.GetUsersParams(), timeout=10).users]

    def delivered(self, event_id):
        """No delivery of the event left in the queue and none dead-lettered."""
        left = psql(self.bus.url, f"SELECT count(*) FROM event_deliveries WHERE event_id = '{event_id}'")
        dead = psql(self.bus.url, f"SELECT count(*) FROM event_dead_letters WHERE event_id = '{event_id}'")
        return left == "0" and dead == "0"

    def test_postgres_store(self):
        before = int(psql(self.bus.url, "SELECT count(*) FROM users"))
        self.trigger("op4_db_postgres")
        wait_until(lambda: int(psql(self.bus.url, "SELECT count(*) FROM users")) == before + 2,
                   what="two users in the postgres store")

    def test_memory_store(self):
        self.trigger("op2_in_memory")
        wait_until(lambda: self.users(1).count(("Alice", 43)) >= 1 and
                   self.users(1).count(("Bob", 30)) >= 1, what="Alice and Bob in memory")

    def test_json_file_store(self):
        self.trigger("op3_json_file")
        path = os.path.join(self.bus.dir, "users.json")

        def alice_and_bob():
            if not os.path.exists(path):
                return False
            with open(path) as f:
                users = {(u["name"], u["age"]) for u in json.load(f)["users"]}
            return ("Alice", 43) in users and ("Bob", 30) in users
        wait_until(alice_and_bob, what="Alice and Bob in users.json")

    def test_no_persistence_store(self):
        # The none store keeps nothing to look at: the delivery succeeded
        # (nothing queued, nothing dead-lettered) once its routing happened.
        event_id = self.trigger("op1_no_persistence")
        wait_until(lambda: psql(self.bus.url, "SELECT count(*) FROM pending_events") == "0",
                   what="the event routed")
        wait_until(lambda: self.delivered(event_id), what="the delivery done")

    def test_a_body_without_detail_is_400(self):
        status, text = self.bus.curl("/trigger_usermgmt", json.dumps({"name": "x"}))
        self.assertEqual(status, 400)
        self.assertIn("message", json.loads(text))


class EventsRestartTest(unittest.TestCase):
    def test_rules_and_targets_survive_a_restart(self):
        bus = Bus()
        try:
            bus.aws("put-rule", "--name", "keep", "--event-pattern", '{"source":["k"]}')
            bus.aws("put-targets", "--rule", "keep", "--targets", json.dumps([{
                "Id": "t", "Arn": "arn:cloudlet:usermgmt:us-east-1:000000000000:server/"
                              f"127.0.0.1:{bus.dead_port}"}]))
            bus.aws("disable-rule", "--name", "trigger_usermgmt_op1_no_persistence")
            bus.restart()
            _, out, _ = bus.aws("describe-rule", "--name", "keep")
            self.assertEqual(out["EventPattern"], '{"source":["k"]}')
            _, out, _ = bus.aws("list-targets-by-rule", "--rule", "keep")
            self.assertEqual([t["Id"] for t in out["Targets"]], ["t"])
            # A default rule the operator disabled stays disabled.
            _, out, _ = bus.aws("describe-rule", "--name", "trigger_usermgmt_op1_no_persistence")
            self.assertEqual(out["State"], "DISABLED")
        finally:
            bus.close()


if __name__ == "__main__":
    unittest.main()
