"""The migration layer through GObject Introspection: importing, exporting, rollout
modes and their reports, as a Python application would use them."""
import json
import os
import shutil
import sys
import tempfile
import unittest

import gi

gi.require_version("Xul", "1.0")
from gi.repository import GLib, Xul  # noqa: E402

DATA = os.environ.get("XUL_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "data"))
PROFILE = os.path.join(DATA, "profile", "xulstore.json")
BROWSER = "chrome://browser/content/browser.xhtml"


class ProfileCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = self.dir.name

    def tearDown(self):
        self.dir.cleanup()

    def copy_profile(self, source=PROFILE):
        shutil.copy(source, os.path.join(self.path, "xulstore.json"))

    def legacy(self):
        return os.path.join(self.path, "xulstore.json")


class TestImport(ProfileCase):
    def test_report_is_readable(self):
        store = Xul.Store.new(os.path.join(self.path, "s.sqlite"), Xul.StoreFlags.NONE)
        ok, report = store.import_legacy(PROFILE, Xul.ImportFlags.MERGE)
        self.assertTrue(ok)
        self.assertEqual(report.get_action(), Xul.MigrationAction.IMPORTED)
        self.assertEqual((report.get_documents(), report.get_ids(), report.get_values()),
                         (8, 432, 468))
        self.assertEqual(report.get_source(), PROFILE)
        self.assertGreaterEqual(report.get_duration(), 0)
        self.assertEqual(json.loads(report.to_json())["values"], 468)
        self.assertIn("imported", report.to_text())
        store.close()

    def test_skipped_entries_carry_paths_and_reasons(self):
        store = Xul.Store.new(os.path.join(self.path, "s.sqlite"), Xul.StoreFlags.NONE)
        sample = os.path.join(DATA, "samples", "skipped-entries.json")
        ok, report = store.import_legacy(sample, Xul.ImportFlags.MERGE)
        entries = report.get_entries()
        self.assertEqual(len(entries), 5)
        for entry in entries:
            self.assertEqual(entry.get_kind(), Xul.ReportEntryKind.SKIPPED)
            self.assertTrue(entry.get_path().startswith("/"))
            self.assertTrue(entry.get_reason())
        store.close()

    def test_syntax_errors_give_their_position(self):
        store = Xul.Store.new(os.path.join(self.path, "s.sqlite"), Xul.StoreFlags.NONE)
        broken = os.path.join(DATA, "broken", "syntax-missing-colon.json")
        with self.assertRaises(GLib.Error) as raised:
            store.import_legacy(broken, Xul.ImportFlags.MERGE)
        error = raised.exception
        self.assertTrue(error.matches(Xul.LegacyError.quark(), Xul.LegacyError.SYNTAX))
        self.assertIn(":3:19:", error.message)
        self.assertEqual(store.get_documents(), [])
        store.close()

    def test_progress_is_reported(self):
        store = Xul.Store.new(os.path.join(self.path, "s.sqlite"), Xul.StoreFlags.NONE)
        importer = Xul.LegacyImporter.new(Xul.ImportFlags.MERGE)
        seen = []
        importer.connect("progress", lambda imp, done, total: seen.append((done, total)))
        ok, report = importer.run(store, PROFILE)
        self.assertTrue(seen)
        self.assertEqual(seen[-1][0], seen[-1][1])
        store.close()

    def test_export_round_trips(self):
        store = Xul.Store.new(os.path.join(self.path, "s.sqlite"), Xul.StoreFlags.NONE)
        store.set_value("d\t\"x\"", "i\\d", "a\n", "v\u00e9\U0001F600")
        out = os.path.join(self.path, "out.json")
        store.export_legacy(out)
        with open(out, encoding="utf-8") as f:
            self.assertEqual(json.load(f), {"d\t\"x\"": {"i\\d": {"a\n": "v\u00e9\U0001F600"}}})
        self.assertEqual(os.stat(out).st_mode & 0o777, 0o600)
        data = store.export_legacy_bytes(Xul.ExportFlags.PRETTY).get_data()
        self.assertIn(b"\n  ", data)
        store.close()


class TestRollout(ProfileCase):
    def open(self, mode):
        store, report = Xul.Store.open_profile(self.path, mode)
        return store, report

    def test_migrate_then_already_migrated(self):
        self.copy_profile()
        store, report = self.open(Xul.Rollout.MIGRATE)
        self.assertEqual(report.get_action(), Xul.MigrationAction.IMPORTED)
        self.assertEqual(store.get_value(BROWSER, "main-window", "sizemode"), "normal")
        store.close()
        store, report = self.open(Xul.Rollout.MIGRATE)
        self.assertEqual(report.get_action(), Xul.MigrationAction.ALREADY_MIGRATED)
        store.close()

    def test_dual_write_mirrors_on_flush(self):
        self.copy_profile()
        store, _ = self.open(Xul.Rollout.DUAL_WRITE)
        store.set_value(BROWSER, "main-window", "width", "1234")
        store.flush()
        with open(self.legacy(), encoding="utf-8") as f:
            self.assertEqual(json.load(f)[BROWSER]["main-window"]["width"], "1234")
        store.close()

    def test_old_version_edits_are_taken_in(self):
        self.copy_profile()
        store, _ = self.open(Xul.Rollout.DUAL_WRITE)
        store.close()
        with open(self.legacy(), encoding="utf-8") as f:
            content = json.load(f)
        content[BROWSER]["main-window"]["width"] = "800"
        with open(self.legacy(), "w", encoding="utf-8") as f:
            json.dump(content, f, separators=(",", ":"), ensure_ascii=False)
        store, report = self.open(Xul.Rollout.DUAL_WRITE)
        self.assertEqual(report.get_action(), Xul.MigrationAction.RECONCILED_FROM_LEGACY)
        self.assertEqual(store.get_value(BROWSER, "main-window", "width"), "800")
        store.close()

    def test_finalize_renames_the_legacy_file(self):
        self.copy_profile()
        store, report = self.open(Xul.Rollout.FINALIZE)
        self.assertEqual(report.get_action(), Xul.MigrationAction.FINALIZED)
        store.close()
        names = os.listdir(self.path)
        self.assertNotIn("xulstore.json", names)
        self.assertTrue(any(n.startswith("xulstore.json.migrated-") for n in names))

    def test_unreadable_legacy_file_is_quarantined(self):
        self.copy_profile(os.path.join(DATA, "broken", "truncated.json"))
        store, report = self.open(Xul.Rollout.DUAL_WRITE)
        self.assertEqual(report.get_action(), Xul.MigrationAction.LEGACY_QUARANTINED)
        self.assertTrue(os.path.exists(report.get_quarantine_path()))
        self.assertIsNotNone(report.get_problem())
        store.close()

    def test_profile_object_sets_the_mirror_delay(self):
        self.copy_profile()
        profile = Xul.Profile.new(self.path, Xul.Rollout.DUAL_WRITE)
        profile.props.mirror_delay = 10
        store, report = profile.open()
        self.assertEqual(report.get_action(), Xul.MigrationAction.IMPORTED)
        store.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
