"""The event bus's Run Command, function and HTTP targets, with real
processes: one `cloudlet events` on a migrated database with Run Command
enabled (no shell) and one HTTP origin allowed, a real HTTP server in this
test for the HTTP targets, the contacts functions for function targets, and
Debian's AWS CLI to configure it all. (test_events.py checks that Run
Command and HTTP targets are refused by default.)"""
import http.server
import json
import os
import subprocess
import threading
import time
import unittest

import support
from test_events import AWS, wait_until
from test_events_durability import ENV, Cli, stop


class Recorder(http.server.ThreadingHTTPServer):
    """An HTTP server on a free loopback port that records every request and
    answers by path: /ok and /fast 200, /gone 404, /slow 200 after 15 s, /flaky
    500 the first time then 200."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with recorder.lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    recorder.requests.append((self.path, headers, body.decode()))
                    seen = sum(1 for r in recorder.requests if r[0] == self.path)
                if self.path == "/slow":  # past the bus's 10 s attempt deadline
                    time.sleep(15)
                status = {"/ok": 200, "/fast": 200, "/gone": 404}.get(
                    self.path, 500 if seen == 1 else 200)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.daemon_threads = True
        super().__init__(("127.0.0.1", 0), Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def to(self, path):
        with self.lock:
            return [r for r in self.requests if r[0] == path]


class TargetsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = support.Database()
        cls.web = Recorder()
        cls.port = support.free_port()
        # The log goes to a file, read while the process runs.
        cls.log_path = os.path.join(cls.db.dir, "events.log")
        with open(cls.log_path, "w") as log:
            cls.events = subprocess.Popen(
                [support.CLOUDLET, "events", *cls.db.flags, "--events-listen",
                 f"127.0.0.1:{cls.port}", "--events-default-rules", "false",
                 "--events-retry-initial-backoff-ms", "100",
                 "--events-run-command-enabled", "true",
                 "--events-run-command-programs", "/usr/bin/touch,/bin/echo,/bin/false,/bin/true",
                 "--events-http-targets", f"127.0.0.1:{cls.web.port}"],
                stdout=subprocess.PIPE, stderr=log, text=True, env=ENV)
        support.wait_for_line(cls.events, "Press Ctrl-C to stop", timeout=120)
        cls.cli = Cli(cls.db)

    @classmethod
    def tearDownClass(cls):
        stop(cls.events)
        cls.web.shutdown()
        cls.db.close()

    def aws(self, *args):
        return self.cli.events(self.port, *args)

    def logged(self, event):
        with open(self.log_path) as f:
            return [e for e in (json.loads(line) for line in f if line.startswith("{"))
                    if e.get("event") == event]

    def put_event(self, source, detail):
        out = self.aws("put-events", "--entries", json.dumps([
            {"Source": source, "DetailType": "d", "Detail": json.dumps(detail)}]))
        self.assertEqual(out["FailedEntryCount"], 0)
        return out["Entries"][0]["EventId"]

    def dead_letter(self, event_id):
        for line in support.run("events", "dead-letters", *self.db.flags).stdout.splitlines():
            d = json.loads(line)
            if d["EventId"] == event_id:
                return d
        return None

    def rule(self, name, targets):
        self.aws("put-rule", "--name", name, "--event-pattern", json.dumps({"source": [name]}))
        return self.aws("put-targets", "--rule", name, "--targets", json.dumps(targets))

    def test_run_command_runs_each_command_without_a_shell(self):
        marker = os.path.join(self.db.dir, "ran")
        ssm = "arn:aws:ssm:us-east-1::document/AWS-RunShellScript"
        out = self.rule("rc", [
            {"Id": "run", "Arn": ssm,
             "RunCommandParameters": {"RunCommandTargets": [
                 {"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}]},
             "Input": json.dumps({"commands": [f"/usr/bin/touch '{marker}'",
                                               "/bin/echo run-command-said-this"]})},
            # Without a configured shell, shell syntax is refused, not run.
            {"Id": "piped", "Arn": ssm, "Input": '{"commands": ["/bin/echo a | wc -c"]}'},
            {"Id": "nothing", "Arn": ssm},
            # Only the listed programs, named exactly.
            {"Id": "unlisted", "Arn": ssm, "Input": '{"commands": ["/bin/sh -c id"]}'},
            {"Id": "bare", "Arn": ssm, "Input": '{"commands": ["echo hi"]}'},
            # Event content never reaches a command line.
            {"Id": "templated", "Arn": ssm, "InputTransformer": {
                "InputPathsMap": {"x": "$.detail.x"},
                "InputTemplate": '{"commands": ["/bin/echo <x>"]}'}},
            {"Id": "fails", "Arn": ssm, "Input": '{"commands": ["/bin/false", "/bin/true"]}'},
        ])
        failed = {f["TargetId"]: f["ErrorMessage"] for f in out["FailedEntries"]}
        self.assertEqual(sorted(failed), ["bare", "nothing", "piped", "templated", "unlisted"])
        self.assertIn("events.run_command_shell", failed["piped"])
        self.assertIn("events.run_command_programs", failed["unlisted"])
        self.assertIn("events.run_command_programs", failed["bare"])
        self.assertIn("Input only", failed["templated"])
        listed = self.aws("list-targets-by-rule", "--rule", "rc")["Targets"]
        run = next(t for t in listed if t["Id"] == "run")
        self.assertEqual(run["RunCommandParameters"]["RunCommandTargets"][0]["Key"], "InstanceIds")
        event_id = self.put_event("rc", {})
        wait_until(lambda: os.path.exists(marker), timeout=30, what="the command's file")
        d = wait_until(lambda: self.dead_letter(event_id), timeout=30, what="the failed command")
        self.assertEqual(d["ERROR_CODE"], "COMMAND_FAILED")
        self.assertIn("command 1 (/bin/false) exited 1", d["ERROR_MESSAGE"])
        self.assertNotIn("EXHAUSTED_RETRY_CONDITION", d)  # not retried
        # What the commands printed is in the event bus's log.
        outputs = [e["output"] for e in self.logged("events.run_command")]
        self.assertIn("run-command-said-this\n", outputs)

    def test_run_command_parameters_are_checked_as_aws_does(self):
        self.aws("put-rule", "--name", "rcp", "--event-pattern", '{"source":["rcp"]}')
        # botocore with its own checks off, so the bus's are the ones tested
        # (the CLI refuses an empty Values list before sending).
        import botocore.config
        import botocore.session
        from botocore.exceptions import ClientError
        session = botocore.session.get_session()
        client = session.create_client(
            "events", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{self.port}",
            aws_access_key_id=self.cli.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.cli.env["AWS_SECRET_ACCESS_KEY"],
            config=botocore.config.Config(parameter_validation=False,
                                          retries={"max_attempts": 1}))
        with self.assertRaises(ClientError) as caught:
            client.put_targets(Rule="rcp", Targets=[{
                "Id": "x", "Arn": "arn:aws:ssm:us-east-1::document/AWS-RunShellScript",
                "Input": '{"commands": ["/bin/true"]}',
                "RunCommandParameters": {"RunCommandTargets": [{"Key": "InstanceIds",
                                                                "Values": []}]}}])
        error = caught.exception.response["Error"]
        self.assertEqual(error["Code"], "ValidationException")
        self.assertIn("runCommandParameters.runCommandTargets.1.member.values", error["Message"])

    def test_http_targets_post_the_input_and_retry_what_can_pass(self):
        base = f"arn:cloudlet:http:us-east-1:000000000000:url/http://127.0.0.1:{self.web.port}"
        out = self.rule("web", [
            {"Id": "ok", "Arn": base + "/ok", "InputPath": "$.detail"},
            {"Id": "flaky", "Arn": base + "/flaky", "Input": '{"again": true}'},
            {"Id": "gone", "Arn": base + "/gone"},
            {"Id": "other", "Arn": "arn:cloudlet:http:us-east-1:000000000000:url/http://127.0.0.1:9/x"},
        ])
        self.assertEqual([f["TargetId"] for f in out["FailedEntries"]], ["other"])
        self.assertIn("events.http_targets", out["FailedEntries"][0]["ErrorMessage"])
        event_id = self.put_event("web", {"order": 7})
        ok = wait_until(lambda: self.web.to("/ok"), timeout=30, what="the POST to /ok")
        _, headers, body = ok[0]
        self.assertEqual(json.loads(body), {"order": 7})
        self.assertTrue(headers["content-type"].startswith("application/json"))
        self.assertEqual(headers["x-cloudlet-event-id"], event_id)
        # 500, then retried with backoff, then 200: two POSTs, nothing dead.
        flaky = wait_until(lambda: len(self.web.to("/flaky")) >= 2 and self.web.to("/flaky"),
                           timeout=30, what="the retried POST")
        self.assertEqual([json.loads(r[2]) for r in flaky], [{"again": True}] * 2)
        # 404 cannot pass: one POST, then the dead-letter store.
        d = wait_until(lambda: self.dead_letter(event_id), timeout=30, what="the 404's dead letter")
        self.assertEqual(d["ERROR_CODE"], "NO_RESOURCE")
        self.assertEqual(d["TARGET_ARN"], base + "/gone")
        self.assertEqual(len(self.web.to("/gone")), 1)
        self.assertEqual(len(self.web.to("/flaky")), 2)

    def test_a_slow_target_never_takes_every_worker(self):
        # Ten deliveries (5 targets x 2 events) to a target that answers
        # after each attempt's 10 s deadline, for the bus's 8 workers; then
        # one to a fast target. Without a limit per target the slow ones
        # would hold all 8 workers and the fast one would wait for an
        # attempt to time out.
        base = f"arn:cloudlet:http:us-east-1:000000000000:url/http://127.0.0.1:{self.web.port}"
        self.rule("slowweb", [{"Id": f"s{i}", "Arn": base + "/slow", "Input": "{}"}
                              for i in range(5)])
        self.put_event("slowweb", {})
        self.put_event("slowweb", {})
        wait_until(lambda: len(self.web.to("/slow")) >= 4, timeout=30, what="slow attempts")
        self.rule("fastweb", [{"Id": "f", "Arn": base + "/fast", "Input": "{}"}])
        self.put_event("fastweb", {})
        wait_until(lambda: self.web.to("/fast"), timeout=30, what="the fast target")
        owed = self.db.psql(
            "SELECT count(*), coalesce(sum(attempts), 0), count(*) FILTER (WHERE lease_owner"
            " IS NOT NULL AND lease_until > now()) FROM event_deliveries WHERE rule = 'slowweb'")
        count, attempts, in_flight = (int(x) for x in owed.split("|"))
        self.assertEqual(count, 10)
        self.assertEqual(attempts, 0, "a slow attempt had to time out before the fast one went")
        self.assertLessEqual(in_flight, 4)  # half of the 8 workers
        self.assertLessEqual(len(self.web.to("/slow")), 4)
        self.aws("remove-targets", "--rule", "slowweb", "--ids", *[f"s{i}" for i in range(5)])

    def test_a_function_target_runs_contacts_insert(self):
        fn = "arn:aws:lambda:us-east-1:000000000000:function:contacts_insert"
        self.rule("fn", [{"Id": "insert", "Arn": fn, "InputTransformer": {
            "InputPathsMap": {"first": "$.detail.first", "company": "$.detail.company"},
            "InputTemplate": '{"company_id": <company>, "first_name": <first>,'
                             ' "last_name": "FromEvent", "email": "fn@events.test"}'}}])
        self.put_event("fn", {"first": "Eve", "company": 1})
        count = "SELECT count(*) FROM contacts WHERE first_name = 'Eve' AND last_name = 'FromEvent'"
        wait_until(lambda: self.db.psql(count) == "1", timeout=30, what="the contact")
        # The function refuses an unknown company (409): dead-lettered, not retried.
        event_id = self.put_event("fn", {"first": "Nobody", "company": 999999})
        d = wait_until(lambda: self.dead_letter(event_id), timeout=30, what="the refusal")
        self.assertIn("function contacts_insert answered HTTP 409", d["ERROR_MESSAGE"])
        self.assertIn("ERROR_UNKNOWN_COMPANY", d["ERROR_MESSAGE"])
        self.assertNotIn("EXHAUSTED_RETRY_CONDITION", d)


if __name__ == "__main__":
    unittest.main()
