"""`cloudlet db …` against a throwaway embedded cluster: migrate is
idempotent, status lists every migration, seed bulk-loads contacts, and
psql reaches the database through `cloudlet db url`."""
import unittest

import support


class DbCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = support.Database()

    @classmethod
    def tearDownClass(cls):
        cls.db.close()

    def test_migrate_twice_is_a_no_op(self):
        out = support.run("db", "migrate", *self.db.flags).stdout
        self.assertIn("up to date", out)

    def test_status_lists_every_migration_as_applied(self):
        out = support.run("db", "status", *self.db.flags).stdout
        lines = [l for l in out.splitlines()[1:] if l.strip()]
        self.assertGreaterEqual(len(lines), 4)
        for line in lines:
            self.assertIn("applied", line)

    def test_url_works_with_psql(self):
        self.assertEqual(self.db.psql("SELECT name FROM companies WHERE id = 3"), "microsoft")

    def test_seed_loads_contacts(self):
        before = int(self.db.psql("SELECT count(*) FROM contacts"))
        out = support.run("db", "seed", "--contacts", "5000", "--companies", "2", *self.db.flags).stdout
        self.assertIn("seeded 2 companies and 5000 contacts", out)
        self.assertEqual(int(self.db.psql("SELECT count(*) FROM contacts")), before + 5000)

    def test_bad_flag_value_is_a_clear_error(self):
        proc = support.run("db", "status", "--data-dir", self.db.dir, "--pg-port", "99999", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("--pg-port", proc.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
