"""The XulStore contract, exercised from Python through GObject Introspection.

Run by meson as `/usr/bin/python3 tests/python/test_store.py` with GI_TYPELIB_PATH and
LD_LIBRARY_PATH pointing at the build root. Only the standard library and PyGObject.
"""
import gc
import os
import stat
import sys
import tempfile
import threading
import time
import unittest

import gi

gi.require_version("Xul", "1.0")
gi.require_version("GLib", "2.0")
gi.require_version("GObject", "2.0")
gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib, GObject, Xul  # noqa: E402

NAME_MAX = 512
VALUE_MAX = 4096
DOCUMENT_MAX = 2048

DOC = "chrome://browser/content/browser.xhtml"

# Strings that must survive the trip through C, the writer thread and the file.
AWKWARD = [
    "",
    " ",
    "tab\there",
    "line\nbreak\r\nand\rcarriage",
    "quotes \" and ' and `",
    "back\\slash \\\\ \\n \\0",
    "control \x01\x02\x07\x08\x0b\x0c\x1b\x1f\x7f",
    "non-ASCII: é ß ü ø Ω ж 中文 日本語 한국어 עברית العربية",
    "emoji: 😀 👍🏽 👩‍👩‍👧 🏳️‍🌈",
    "astral: 𝄞 𐍈 \U0010fffd",
    "\u00a0nbsp and zero\u200bwidth and BOM\ufeff",
    "%s %d %n {} {0} ${x} <tag attr=\"v\">&amp;</tag>",
    "'; DROP TABLE data; --",
]


def store_error(code):
    return (Xul.StoreError.quark(), code)


class StoreTestCase(unittest.TestCase):
    """Gives each test its own directory, and closes what the test opened."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.path = os.path.join(self.dir, "xulstore.sqlite")
        self._opened = []
        self.addCleanup(self._close_all)

    def _close_all(self):
        for obj in reversed(self._opened):
            try:
                obj.close()
            except GLib.Error:
                pass
        self._opened.clear()

    def open(self, flags=Xul.StoreFlags.NONE, path=None):
        store = Xul.Store.new(self.path if path is None else path, flags)
        self._opened.append(store)
        return store

    def open_kv(self, flags=Xul.KvOpenFlags.NONE, path=None):
        db = Xul.KvDb.open(self.path if path is None else path, flags)
        self._opened.append(db)
        return db

    def reopen(self, store, flags=Xul.StoreFlags.NONE):
        store.close()
        return self.open(flags)

    def assertGError(self, domain, code, func, *args):
        """Asserts that func(*args) raises a GLib.Error of this domain and code."""
        with self.assertRaises(GLib.Error) as caught:
            func(*args)
        error = caught.exception
        self.assertTrue(
            error.matches(domain, code),
            "expected %s code %d, got %s code %d: %s"
            % (GLib.quark_to_string(domain), int(code), error.domain, error.code,
               error.message))
        return error

    def assertStoreError(self, code, func, *args):
        return self.assertGError(Xul.StoreError.quark(), code, func, *args)

    def assertKvError(self, code, func, *args):
        return self.assertGError(Xul.KvError.quark(), code, func, *args)

    def record_changes(self, store):
        changes = []

        def on_changed(_store, doc, id_, attr, value):
            changes.append((doc, id_, attr, value))

        handler = store.connect("changed", on_changed)
        self.addCleanup(store.disconnect, handler)
        return changes


def by_key(changes):
    return sorted(changes, key=lambda change: change[:3])


def byte_sorted(strings):
    return sorted(strings, key=lambda s: s.encode("utf-8"))


class TestOpen(StoreTestCase):
    def test_new_creates_file_0600(self):
        self.assertFalse(os.path.exists(self.path))
        store = self.open()
        self.assertIsInstance(store, Xul.Store)
        self.assertTrue(os.path.exists(self.path))
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)

    def test_properties(self):
        store = self.open()
        self.assertEqual(store.props.path, self.path)
        self.assertEqual(store.get_path(), self.path)
        self.assertEqual(store.props.flags, Xul.StoreFlags.NONE)
        self.assertEqual(store.get_flags(), Xul.StoreFlags.NONE)
        self.assertEqual(store.props.write_delay, 200)

        store.set_value(DOC, "id", "attr", "v")
        store.flush()
        reader = self.open(Xul.StoreFlags.READ_ONLY)
        self.assertEqual(reader.props.path, self.path)
        self.assertEqual(reader.props.flags, Xul.StoreFlags.READ_ONLY)
        self.assertEqual(reader.get_flags(), Xul.StoreFlags.READ_ONLY)

    def test_construct_with_write_delay(self):
        store = GObject.new(Xul.Store, path=self.path, write_delay=10)
        self._opened.append(store)
        self.assertTrue(store.init(None))
        self.assertEqual(store.props.write_delay, 10)
        self.assertEqual(store.props.path, self.path)
        self.assertEqual(store.props.flags, Xul.StoreFlags.NONE)
        store.set_value(DOC, "id", "attr", "value")
        self.assertEqual(store.get_value(DOC, "id", "attr"), "value")
        store.close()
        self.assertEqual(self.open().get_value(DOC, "id", "attr"), "value")

    def test_construct_read_only(self):
        self.open().close()
        store = GObject.new(Xul.Store, path=self.path, flags=Xul.StoreFlags.READ_ONLY)
        self._opened.append(store)
        self.assertTrue(store.init(None))
        self.assertEqual(store.props.flags, Xul.StoreFlags.READ_ONLY)
        self.assertStoreError(Xul.StoreError.READ_ONLY, store.set_value, "d", "i", "a", "v")

    def test_init_without_path_fails(self):
        store = GObject.new(Xul.Store)
        self.assertStoreError(Xul.StoreError.INVALID_ARGUMENT, store.init, None)
        self.assertStoreError(Xul.StoreError.INVALID_ARGUMENT,
                              Xul.Store.new, "", Xul.StoreFlags.NONE)

    def test_read_only_missing_file_is_not_found(self):
        self.assertStoreError(Xul.StoreError.NOT_FOUND,
                              Xul.Store.new, self.path, Xul.StoreFlags.READ_ONLY)
        self.assertFalse(os.path.exists(self.path))

    def test_second_writer_is_busy(self):
        first = self.open()
        first.set_value(DOC, "id", "attr", "first")
        error = self.assertStoreError(Xul.StoreError.BUSY,
                                      Xul.Store.new, self.path, Xul.StoreFlags.NONE)
        # The message names the process that holds the file.
        self.assertIn(str(os.getpid()), error.message)
        # The failed open leaves the first store alone.
        first.set_value(DOC, "id", "attr", "still mine")
        self.assertEqual(first.get_value(DOC, "id", "attr"), "still mine")
        first.flush()
        # A reader may open beside the writer.
        reader = self.open(Xul.StoreFlags.READ_ONLY)
        self.assertEqual(reader.get_value(DOC, "id", "attr"), "still mine")

    def test_close_releases_writer_lock(self):
        first = self.open()
        first.close()
        second = self.open()
        second.set_value(DOC, "id", "attr", "v")
        self.assertEqual(second.get_value(DOC, "id", "attr"), "v")

    def test_dispose_closes(self):
        store = Xul.Store.new(self.path, Xul.StoreFlags.NONE)
        store.set_value(DOC, "id", "attr", "kept")
        del store
        gc.collect()
        store = self.open()
        self.assertEqual(store.get_value(DOC, "id", "attr"), "kept")

    def test_damaged_file_is_recovered(self):
        with open(self.path, "wb") as f:
            f.write(b"this is not a database, only noise " * 200)
        self.assertStoreError(Xul.StoreError.CORRUPT,
                              Xul.Store.new, self.path, Xul.StoreFlags.READ_ONLY)
        store = self.open()
        db = store.get_db()
        self.assertEqual(db.get_recovery(), Xul.KvRecovery.STARTED_EMPTY)
        quarantine = db.get_quarantine_path()
        self.assertIsNotNone(quarantine)
        self.assertTrue(os.path.exists(quarantine))
        self.assertEqual(store.get_documents(), [])
        store.set_value(DOC, "id", "attr", "fresh")
        store.close()
        store = self.open()
        self.assertEqual(store.get_db().get_recovery(), Xul.KvRecovery.NONE)
        self.assertEqual(store.get_value(DOC, "id", "attr"), "fresh")


class TestValues(StoreTestCase):
    def test_set_get_has_remove(self):
        store = self.open()
        self.assertEqual(store.get_value(DOC, "id", "attr"), "")
        self.assertFalse(store.has_value(DOC, "id", "attr"))
        self.assertTrue(store.set_value(DOC, "id", "attr", "value"))
        self.assertEqual(store.get_value(DOC, "id", "attr"), "value")
        self.assertTrue(store.has_value(DOC, "id", "attr"))
        self.assertTrue(store.set_value(DOC, "id", "attr", "other"))
        self.assertEqual(store.get_value(DOC, "id", "attr"), "other")
        self.assertTrue(store.remove_value(DOC, "id", "attr"))
        self.assertFalse(store.has_value(DOC, "id", "attr"))
        self.assertEqual(store.get_value(DOC, "id", "attr"), "")
        # Removing what is not there is not an error.
        self.assertTrue(store.remove_value(DOC, "id", "attr"))
        self.assertTrue(store.remove_value("nowhere", "nobody", "nothing"))

    def test_get_value_returns_str(self):
        store = self.open()
        store.set_value(DOC, "id", "attr", "value")
        self.assertIsInstance(store.get_value(DOC, "id", "attr"), str)
        self.assertIsInstance(store.get_value(DOC, "id", "missing"), str)

    def test_tuples_are_independent(self):
        store = self.open()
        store.set_value("d1", "i1", "a1", "1")
        store.set_value("d1", "i1", "a2", "2")
        store.set_value("d1", "i2", "a1", "3")
        store.set_value("d2", "i1", "a1", "4")
        self.assertEqual(store.get_value("d1", "i1", "a1"), "1")
        self.assertEqual(store.get_value("d1", "i1", "a2"), "2")
        self.assertEqual(store.get_value("d1", "i2", "a1"), "3")
        self.assertEqual(store.get_value("d2", "i1", "a1"), "4")
        self.assertFalse(store.has_value("d2", "i2", "a1"))
        store.remove_value("d1", "i1", "a1")
        self.assertEqual(store.get_value("d1", "i1", "a2"), "2")
        self.assertEqual(store.get_value("d2", "i1", "a1"), "4")

    def test_components_do_not_run_together(self):
        # A naive concatenation of doc, id and attr would make these collide.
        store = self.open()
        store.set_value("ab", "c", "d", "1")
        store.set_value("a", "bc", "d", "2")
        store.set_value("a", "b", "cd", "3")
        store.set_value("a", "b", "c/d", "4")
        store.close()
        store = self.open()
        self.assertEqual(store.get_value("ab", "c", "d"), "1")
        self.assertEqual(store.get_value("a", "bc", "d"), "2")
        self.assertEqual(store.get_value("a", "b", "cd"), "3")
        self.assertEqual(store.get_value("a", "b", "c/d"), "4")
        self.assertEqual(store.get_ids("a"), ["b", "bc"])
        self.assertEqual(store.get_attributes("a", "b"), ["c/d", "cd"])

    def test_empty_strings_everywhere(self):
        store = self.open()
        store.set_value("", "", "", "")
        self.assertTrue(store.has_value("", "", ""))
        self.assertEqual(store.get_value("", "", ""), "")
        self.assertEqual(store.get_documents(), [""])
        self.assertEqual(store.get_ids(""), [""])
        self.assertEqual(store.get_attributes("", ""), [""])
        store.set_value(DOC, "id", "attr", "")
        self.assertTrue(store.has_value(DOC, "id", "attr"))
        self.assertEqual(store.get_value(DOC, "id", "attr"), "")
        store.set_value(DOC, "", "attr", "empty id")
        store.set_value(DOC, "id", "", "empty attr")
        store.close()

        store = self.open()
        self.assertEqual(store.get_documents(), ["", DOC])
        self.assertTrue(store.has_value("", "", ""))
        self.assertTrue(store.has_value(DOC, "id", "attr"))
        self.assertEqual(store.get_value(DOC, "id", "attr"), "")
        self.assertEqual(store.get_value(DOC, "", "attr"), "empty id")
        self.assertEqual(store.get_value(DOC, "id", ""), "empty attr")
        self.assertEqual(store.get_ids(DOC), ["", "id"])
        self.assertEqual(store.get_attributes(DOC, "id"), ["", "attr"])
        store.remove_value("", "", "")
        self.assertFalse(store.has_value("", "", ""))
        self.assertEqual(store.get_documents(), [DOC])

    def test_awkward_strings_round_trip(self):
        store = self.open()
        for i, text in enumerate(AWKWARD):
            store.set_value(DOC, "id%d" % i, "attr", text)
            store.set_value(text, text, text, text)
        for i, text in enumerate(AWKWARD):
            self.assertEqual(store.get_value(DOC, "id%d" % i, "attr"), text)
            self.assertEqual(store.get_value(text, text, text), text)
        store.close()

        store = self.open()
        for i, text in enumerate(AWKWARD):
            self.assertEqual(store.get_value(DOC, "id%d" % i, "attr"), text)
            self.assertTrue(store.has_value(text, text, text), repr(text))
            self.assertEqual(store.get_value(text, text, text), text)
            self.assertEqual(store.get_ids(text), [text])
            self.assertEqual(store.get_attributes(text, text), [text])
        self.assertEqual(store.get_documents(), byte_sorted(set(AWKWARD) | {DOC}))

    def test_awkward_strings_seen_by_reader(self):
        store = self.open()
        for text in AWKWARD:
            store.set_value(text, "id", text, text)
        store.flush()
        reader = self.open(Xul.StoreFlags.READ_ONLY)
        for text in AWKWARD:
            self.assertEqual(reader.get_value(text, "id", text), text)


class TestLists(StoreTestCase):
    def test_lists_are_sorted_python_lists(self):
        store = self.open()
        for n in ("3", "1", "2"):
            store.set_value("doc" + n, "id", "attr", n)
            store.set_value(DOC, "id" + n, "attr", n)
            store.set_value(DOC, "id", "attr" + n, n)
        docs = store.get_documents()
        self.assertIsInstance(docs, list)
        self.assertEqual(docs, [DOC, "doc1", "doc2", "doc3"])
        ids = store.get_ids(DOC)
        self.assertIsInstance(ids, list)
        self.assertEqual(ids, ["id", "id1", "id2", "id3"])
        attrs = store.get_attributes(DOC, "id")
        self.assertIsInstance(attrs, list)
        self.assertEqual(attrs, ["attr1", "attr2", "attr3"])

    def test_sorted_by_utf8_bytes(self):
        names = ["é", "z", "😀", "a", "Z", "ω", "A", "ü", "0", " ", "zz", "中"]
        expected = byte_sorted(names)
        # Non-ASCII after all of ASCII, upper case before lower case.
        self.assertEqual(expected[:7], [" ", "0", "A", "Z", "a", "z", "zz"])
        store = self.open()
        for name in names:
            store.set_value(name, "id", "attr", "v")
            store.set_value(DOC, name, "attr", "v")
            store.set_value(DOC, "id", name, "v")
        self.assertEqual(store.get_documents(), byte_sorted(names + [DOC]))
        self.assertEqual(store.get_ids(DOC), byte_sorted(names + ["id"]))
        self.assertEqual(store.get_attributes(DOC, "id"), byte_sorted(names))
        store.close()
        # Still sorted when the names come from the file.
        store = self.open()
        self.assertEqual(store.get_documents(), byte_sorted(names + [DOC]))
        self.assertEqual(store.get_ids(DOC), byte_sorted(names + ["id"]))
        self.assertEqual(store.get_attributes(DOC, "id"), byte_sorted(names))

    def test_empty_lists(self):
        store = self.open()
        self.assertEqual(store.get_documents(), [])
        self.assertEqual(store.get_ids(DOC), [])
        self.assertEqual(store.get_attributes(DOC, "id"), [])
        store.set_value(DOC, "id", "attr", "v")
        self.assertEqual(store.get_ids("unknown"), [])
        self.assertEqual(store.get_attributes(DOC, "unknown"), [])
        self.assertEqual(store.get_attributes("unknown", "id"), [])

    def test_removal_updates_lists(self):
        store = self.open()
        store.set_value(DOC, "a", "x", "1")
        store.set_value(DOC, "a", "y", "2")
        store.set_value(DOC, "b", "x", "3")
        store.set_value("other", "a", "x", "4")
        store.remove_value(DOC, "a", "x")
        self.assertEqual(store.get_attributes(DOC, "a"), ["y"])
        self.assertEqual(store.get_ids(DOC), ["a", "b"])
        store.remove_value(DOC, "a", "y")
        self.assertEqual(store.get_attributes(DOC, "a"), [])
        self.assertEqual(store.get_ids(DOC), ["b"])
        self.assertEqual(store.get_documents(), [DOC, "other"])
        store.remove_value(DOC, "b", "x")
        self.assertEqual(store.get_ids(DOC), [])
        self.assertEqual(store.get_documents(), ["other"])
        store.close()
        store = self.open()
        self.assertEqual(store.get_documents(), ["other"])
        self.assertEqual(store.get_ids(DOC), [])

    def test_documents_on_disk_are_listed(self):
        store = self.open()
        store.set_value("d2", "i", "a", "v")
        store.set_value("d1", "i", "a", "v")
        store.close()
        store = self.open()
        self.assertEqual(store.get_documents(), ["d1", "d2"])
        store.set_value("d0", "i", "a", "v")
        self.assertEqual(store.get_documents(), ["d0", "d1", "d2"])


class TestLimits(StoreTestCase):
    def check_rejected(self, store, changes, doc, id_, attr, value):
        self.assertStoreError(Xul.StoreError.TOO_LONG, store.set_value, doc, id_, attr, value)
        self.assertFalse(store.has_value(doc, id_, attr))
        self.assertEqual(store.get_value(doc, id_, attr), "")
        self.assertEqual(changes, [])

    def test_name_limits(self):
        store = self.open()
        changes = self.record_changes(store)
        for char in ("x", "é", "中", "😀"):
            ok, over = char * NAME_MAX, char * (NAME_MAX + 1)
            with self.subTest(char=char):
                store.set_value(DOC, ok, "attr", "id ok")
                store.set_value(DOC, "id", ok, "attr ok")
                self.assertEqual(store.get_value(DOC, ok, "attr"), "id ok")
                self.assertEqual(store.get_value(DOC, "id", ok), "attr ok")
                changes.clear()
                self.check_rejected(store, changes, DOC, over, "attr", "v")
                self.check_rejected(store, changes, DOC, "id", over, "v")
                self.assertNotIn(over, store.get_ids(DOC))
                self.assertNotIn(over, store.get_attributes(DOC, "id"))
        store.close()
        store = self.open()
        for char in ("x", "é", "中", "😀"):
            self.assertEqual(store.get_value(DOC, char * NAME_MAX, "attr"), "id ok")
            self.assertEqual(store.get_value(DOC, "id", char * NAME_MAX), "attr ok")
            self.assertFalse(store.has_value(DOC, char * (NAME_MAX + 1), "attr"))
        self.assertEqual(len(store.get_ids(DOC)), 5)

    def test_value_limit(self):
        store = self.open()
        changes = self.record_changes(store)
        for char in ("x", "é", "中", "😀"):
            with self.subTest(char=char):
                ok, over = char * VALUE_MAX, char * (VALUE_MAX + 1)
                store.set_value(DOC, "id", char, ok)
                self.assertEqual(store.get_value(DOC, "id", char), ok)
                changes.clear()
                self.check_rejected(store, changes, DOC, "new", char, over)
                # A rejected change keeps the value already there.
                self.assertStoreError(Xul.StoreError.TOO_LONG,
                                      store.set_value, DOC, "id", char, over)
                self.assertEqual(store.get_value(DOC, "id", char), ok)
                self.assertEqual(changes, [])
        store.close()
        store = self.open()
        for char in ("x", "é", "中", "😀"):
            self.assertEqual(store.get_value(DOC, "id", char), char * VALUE_MAX)
        self.assertEqual(store.get_ids(DOC), ["id"])

    def test_document_limit(self):
        store = self.open()
        changes = self.record_changes(store)
        for char in ("x", "é", "😀"):
            with self.subTest(char=char):
                ok, over = char * DOCUMENT_MAX, char * (DOCUMENT_MAX + 1)
                store.set_value(ok, "id", "attr", "v")
                self.assertEqual(store.get_value(ok, "id", "attr"), "v")
                changes.clear()
                self.check_rejected(store, changes, over, "id", "attr", "v")
                self.assertNotIn(over, store.get_documents())
        self.assertEqual(len(store.get_documents()), 3)

    def test_nothing_stored_on_error(self):
        store = self.open()
        over = "n" * (NAME_MAX + 1)
        self.assertStoreError(Xul.StoreError.TOO_LONG, store.set_value, DOC, over, "a", "v")
        self.assertStoreError(Xul.StoreError.TOO_LONG, store.set_value, DOC, "i", over, "v")
        self.assertStoreError(Xul.StoreError.TOO_LONG,
                              store.set_value, DOC, "i", "a", "v" * (VALUE_MAX + 1))
        self.assertEqual(store.get_documents(), [])
        self.assertEqual(store.get_ids(DOC), [])
        store.close()
        store = self.open()
        self.assertEqual(store.get_documents(), [])

    def test_over_long_lookups_find_nothing(self):
        store = self.open()
        store.set_value(DOC, "id", "attr", "v")
        long_name = "n" * (NAME_MAX + 1)
        long_doc = "d" * (DOCUMENT_MAX + 1)
        self.assertEqual(store.get_value(DOC, long_name, "attr"), "")
        self.assertEqual(store.get_value(DOC, "id", long_name), "")
        self.assertEqual(store.get_value(long_doc, "id", "attr"), "")
        self.assertFalse(store.has_value(DOC, long_name, "attr"))
        self.assertFalse(store.has_value(long_doc, "id", "attr"))
        self.assertTrue(store.remove_value(DOC, long_name, "attr"))
        self.assertTrue(store.remove_value(long_doc, "id", "attr"))
        self.assertEqual(store.get_ids(long_doc), [])
        self.assertEqual(store.get_attributes(DOC, long_name), [])
        self.assertEqual(store.get_value(DOC, "id", "attr"), "v")


class TestChanged(StoreTestCase):
    def test_set_and_remove(self):
        store = self.open()
        changes = self.record_changes(store)
        store.set_value(DOC, "id", "attr", "one")
        self.assertEqual(changes, [(DOC, "id", "attr", "one")])
        store.set_value(DOC, "id", "attr", "two")
        store.remove_value(DOC, "id", "attr")
        self.assertEqual(changes, [(DOC, "id", "attr", "one"),
                                   (DOC, "id", "attr", "two"),
                                   (DOC, "id", "attr", None)])

    def test_no_signal_without_change(self):
        store = self.open()
        changes = self.record_changes(store)
        store.set_value(DOC, "id", "attr", "same")
        store.set_value(DOC, "id", "attr", "same")
        self.assertEqual(changes, [(DOC, "id", "attr", "same")])
        changes.clear()
        store.remove_value(DOC, "id", "missing")
        store.remove_value("nowhere", "id", "attr")
        store.remove_document("nowhere")
        self.assertEqual(changes, [])

    def test_no_signal_for_same_value_from_disk(self):
        store = self.open()
        store.set_value(DOC, "id", "attr", "same")
        store.set_value(DOC, "id", "empty", "")
        store.close()
        store = self.open()
        changes = self.record_changes(store)
        store.set_value(DOC, "id", "attr", "same")
        store.set_value(DOC, "id", "empty", "")
        self.assertEqual(changes, [])

    def test_empty_value_is_not_removal(self):
        store = self.open()
        changes = self.record_changes(store)
        store.set_value(DOC, "id", "attr", "")
        store.remove_value(DOC, "id", "attr")
        self.assertEqual(changes, [(DOC, "id", "attr", ""), (DOC, "id", "attr", None)])

    def test_awkward_strings_in_signal(self):
        store = self.open()
        changes = self.record_changes(store)
        for text in AWKWARD:
            store.set_value(text, text, text, text)
        self.assertEqual(changes, [(t, t, t, t) for t in AWKWARD])

    def test_remove_document(self):
        store = self.open()
        store.set_value(DOC, "a", "x", "1")
        store.set_value(DOC, "a", "y", "2")
        store.set_value(DOC, "b", "x", "3")
        store.set_value("other", "a", "x", "4")
        changes = self.record_changes(store)
        self.assertTrue(store.remove_document(DOC))
        self.assertEqual(by_key(changes), [(DOC, "a", "x", None),
                                           (DOC, "a", "y", None),
                                           (DOC, "b", "x", None)])
        self.assertEqual(store.get_documents(), ["other"])
        self.assertEqual(store.get_ids(DOC), [])
        self.assertFalse(store.has_value(DOC, "a", "x"))
        self.assertEqual(store.get_value("other", "a", "x"), "4")
        changes.clear()
        self.assertTrue(store.remove_document(DOC))
        self.assertTrue(store.remove_document("unknown"))
        self.assertEqual(changes, [])

    def test_remove_document_from_disk(self):
        store = self.open()
        store.set_value(DOC, "a", "x", "1")
        store.set_value(DOC, "b", "y", "2")
        store.set_value("other", "a", "x", "3")
        store.close()
        store = self.open()
        changes = self.record_changes(store)
        store.remove_document(DOC)
        self.assertEqual(by_key(changes), [(DOC, "a", "x", None), (DOC, "b", "y", None)])
        store.close()
        store = self.open()
        self.assertEqual(store.get_documents(), ["other"])
        self.assertEqual(store.get_ids(DOC), [])

    def test_clear(self):
        store = self.open()
        store.set_value("d1", "a", "x", "1")
        store.set_value("d1", "a", "y", "2")
        store.set_value("d2", "b", "x", "3")
        store.close()
        store = self.open()
        store.set_value("d3", "c", "z", "4")
        changes = self.record_changes(store)
        self.assertTrue(store.clear())
        self.assertEqual(by_key(changes), [("d1", "a", "x", None),
                                           ("d1", "a", "y", None),
                                           ("d2", "b", "x", None),
                                           ("d3", "c", "z", None)])
        self.assertEqual(store.get_documents(), [])
        self.assertEqual(store.get_value("d1", "a", "x"), "")
        changes.clear()
        self.assertTrue(store.clear())
        self.assertEqual(changes, [])
        store.close()
        store = self.open()
        self.assertEqual(store.get_documents(), [])
        self.assertFalse(store.has_value("d2", "b", "x"))

    def test_handler_sees_new_state_and_may_call_back(self):
        store = self.open()
        seen = []

        def on_changed(st, doc, id_, attr, value):
            seen.append((st.get_value(doc, id_, attr), st.has_value(doc, id_, attr),
                         st.get_ids(doc)))
            if attr == "trigger" and value is not None:
                st.set_value(doc, id_, "echo", value)

        handler = store.connect("changed", on_changed)
        self.addCleanup(store.disconnect, handler)
        store.set_value(DOC, "id", "trigger", "v")
        self.assertEqual(store.get_value(DOC, "id", "echo"), "v")
        store.remove_document(DOC)
        self.assertIn(("v", True, ["id"]), seen)
        self.assertEqual(seen[-1], ("", False, []))

    def test_emitted_in_changing_thread(self):
        store = self.open()
        threads = []

        def on_changed(_st, doc, id_, attr, value):
            threads.append(threading.get_ident())

        handler = store.connect("changed", on_changed)
        self.addCleanup(store.disconnect, handler)
        worker_ident = []

        def work():
            worker_ident.append(threading.get_ident())
            store.set_value(DOC, "id", "attr", "from thread")

        worker = threading.Thread(target=work)
        worker.start()
        worker.join(60)
        self.assertFalse(worker.is_alive())
        self.assertEqual(threads, worker_ident)
        self.assertEqual(store.get_value(DOC, "id", "attr"), "from thread")

    def test_no_signal_on_error(self):
        store = self.open()
        changes = self.record_changes(store)
        with self.assertRaises(GLib.Error):
            store.set_value(DOC, "id", "attr", "v" * (VALUE_MAX + 1))
        store.close()
        with self.assertRaises(GLib.Error):
            store.set_value(DOC, "id", "attr", "v")
        self.assertEqual(changes, [])


class TestFlushAndClose(StoreTestCase):
    def run_flush_async(self, store, cancellable=None):
        loop = GLib.MainLoop()
        outcome = {}

        def done(source, result, user_data):
            outcome["thread"] = threading.get_ident()
            outcome["source"] = source
            outcome["user_data"] = user_data
            try:
                outcome["result"] = source.flush_finish(result)
            except GLib.Error as error:
                outcome["error"] = error
            loop.quit()

        def give_up():
            outcome["timeout"] = True
            loop.quit()
            return GLib.SOURCE_REMOVE

        timeout = GLib.timeout_add_seconds(60, give_up)
        store.flush_async(cancellable, done, "data")
        loop.run()
        if "timeout" not in outcome:
            GLib.source_remove(timeout)
        self.assertNotIn("timeout", outcome, "flush_async never called back")
        self.assertEqual(outcome["thread"], threading.get_ident())
        self.assertIs(outcome["source"], store)
        self.assertEqual(outcome["user_data"], "data")
        return outcome

    def test_flush(self):
        store = self.open()
        store.set_value(DOC, "id", "attr", "flushed")
        self.assertTrue(store.flush())
        self.assertTrue(store.flush())
        reader = self.open(Xul.StoreFlags.READ_ONLY)
        self.assertEqual(reader.get_value(DOC, "id", "attr"), "flushed")

    def test_flush_async(self):
        store = self.open()
        store.set_value(DOC, "id", "attr", "async")
        outcome = self.run_flush_async(store)
        self.assertNotIn("error", outcome)
        self.assertIs(outcome["result"], True)
        reader = self.open(Xul.StoreFlags.READ_ONLY)
        self.assertEqual(reader.get_value(DOC, "id", "attr"), "async")

    def test_flush_async_cancelled_still_commits(self):
        store = self.open()
        store.set_value(DOC, "id", "attr", "committed anyway")
        cancellable = Gio.Cancellable()
        cancellable.cancel()
        outcome = self.run_flush_async(store, cancellable)
        if "error" in outcome:
            self.assertTrue(outcome["error"].matches(Gio.io_error_quark(),
                                                     Gio.IOErrorEnum.CANCELLED),
                            outcome["error"].message)
        store.close()
        self.assertEqual(self.open().get_value(DOC, "id", "attr"), "committed anyway")

    def test_flush_async_after_close(self):
        store = self.open()
        store.close()
        outcome = self.run_flush_async(store)
        self.assertIn("error", outcome)
        self.assertTrue(outcome["error"].matches(*store_error(Xul.StoreError.CLOSED)))

    def test_background_write_without_flush(self):
        store = GObject.new(Xul.Store, path=self.path, write_delay=10)
        self._opened.append(store)
        store.init(None)
        store.set_value(DOC, "id", "attr", "eventually")
        deadline = time.monotonic() + 30
        seen = ""
        while time.monotonic() < deadline:
            reader = Xul.Store.new(self.path, Xul.StoreFlags.READ_ONLY)
            seen = reader.get_value(DOC, "id", "attr")
            reader.close()
            if seen == "eventually":
                break
            time.sleep(0.05)
        self.assertEqual(seen, "eventually")

    def test_flush_does_not_wait_for_write_delay(self):
        store = GObject.new(Xul.Store, path=self.path, write_delay=60000)
        self._opened.append(store)
        store.init(None)
        self.assertEqual(store.props.write_delay, 60000)
        store.set_value(DOC, "id", "attr", "now")
        start = time.monotonic()
        store.flush()
        self.assertLess(time.monotonic() - start, 30)
        reader = self.open(Xul.StoreFlags.READ_ONLY)
        self.assertEqual(reader.get_value(DOC, "id", "attr"), "now")
        start = time.monotonic()
        store.set_value(DOC, "id", "attr", "at close")
        store.close()
        self.assertLess(time.monotonic() - start, 30)
        self.assertEqual(self.open().get_value(DOC, "id", "attr"), "at close")

    def test_close_persists(self):
        store = self.open()
        store.set_value(DOC, "id", "attr", "kept")
        store.set_value(DOC, "id", "gone", "x")
        store.remove_value(DOC, "id", "gone")
        self.assertTrue(store.close())
        store = self.open()
        self.assertEqual(store.get_value(DOC, "id", "attr"), "kept")
        self.assertFalse(store.has_value(DOC, "id", "gone"))
        self.assertEqual(store.get_attributes(DOC, "id"), ["attr"])

    def test_close_twice(self):
        store = self.open()
        self.assertTrue(store.close())
        self.assertTrue(store.close())

    def test_every_call_after_close_is_closed(self):
        for flags in (Xul.StoreFlags.NONE, Xul.StoreFlags.READ_ONLY):
            with self.subTest(flags=flags):
                writer = self.open()
                writer.set_value(DOC, "id", "attr", "v")
                writer.close()
                store = self.open(flags)
                store.get_value(DOC, "id", "attr")
                store.close()
                closed = Xul.StoreError.CLOSED
                self.assertStoreError(closed, store.set_value, DOC, "id", "attr", "w")
                self.assertStoreError(closed, store.get_value, DOC, "id", "attr")
                self.assertStoreError(closed, store.get_value, DOC, "id", "other")
                self.assertStoreError(closed, store.has_value, DOC, "id", "attr")
                self.assertStoreError(closed, store.remove_value, DOC, "id", "attr")
                self.assertStoreError(closed, store.remove_document, DOC)
                self.assertStoreError(closed, store.clear)
                self.assertStoreError(closed, store.get_documents)
                self.assertStoreError(closed, store.get_ids, DOC)
                self.assertStoreError(closed, store.get_attributes, DOC, "id")
                self.assertStoreError(closed, store.flush)
                self.assertTrue(store.close())
                # Plain accessors still answer.
                self.assertEqual(store.get_path(), self.path)
                self.assertEqual(store.props.path, self.path)
                self.assertEqual(store.get_flags(), flags)

    def test_get_db_is_closed_with_the_store(self):
        store = self.open()
        db = store.get_db()
        self.assertIsNotNone(db)
        store.close()
        # The same object stays valid for the store's lifetime, closed.
        self.assertIs(store.get_db(), db)
        with self.assertRaises(GLib.Error) as raised:
            db.list_stores()
        self.assertTrue(raised.exception.matches(Xul.KvError.quark(), Xul.KvError.CLOSED))


class TestReadOnly(StoreTestCase):
    def test_writes_fail(self):
        writer = self.open()
        writer.set_value(DOC, "id", "attr", "v")
        writer.close()
        store = self.open(Xul.StoreFlags.READ_ONLY)
        changes = self.record_changes(store)
        read_only = Xul.StoreError.READ_ONLY
        self.assertStoreError(read_only, store.set_value, DOC, "id", "attr", "w")
        self.assertStoreError(read_only, store.set_value, DOC, "id", "new", "w")
        self.assertStoreError(read_only, store.remove_value, DOC, "id", "attr")
        self.assertStoreError(read_only, store.remove_document, DOC)
        self.assertStoreError(read_only, store.clear)
        self.assertEqual(changes, [])
        self.assertEqual(store.get_value(DOC, "id", "attr"), "v")
        self.assertFalse(store.has_value(DOC, "id", "new"))
        self.assertEqual(store.get_documents(), [DOC])
        # Flushing a read-only store does nothing.
        self.assertTrue(store.flush())
        store.close()
        self.assertEqual(self.open().get_value(DOC, "id", "attr"), "v")

    def test_reader_beside_writer(self):
        writer = self.open()
        writer.set_value(DOC, "a", "x", "1")
        writer.set_value("other", "b", "y", "2")
        writer.flush()
        reader = self.open(Xul.StoreFlags.READ_ONLY)
        self.assertEqual(reader.get_documents(), [DOC, "other"])
        self.assertEqual(reader.get_ids(DOC), ["a"])
        self.assertEqual(reader.get_attributes(DOC, "a"), ["x"])
        self.assertEqual(reader.get_value(DOC, "a", "x"), "1")
        self.assertTrue(reader.has_value("other", "b", "y"))
        # A second reader too.
        second = self.open(Xul.StoreFlags.READ_ONLY)
        self.assertEqual(second.get_value("other", "b", "y"), "2")
        # The writer keeps working.
        writer.set_value(DOC, "a", "x", "changed")
        writer.flush()
        third = self.open(Xul.StoreFlags.READ_ONLY)
        self.assertEqual(third.get_value(DOC, "a", "x"), "changed")

    def test_file_without_store_is_empty(self):
        db = self.open_kv()
        db.open_store("something-else", Xul.KvStoreFlags.CREATE).put(b"k", b"v")
        db.close()
        store = self.open(Xul.StoreFlags.READ_ONLY)
        self.assertEqual(store.get_documents(), [])
        self.assertEqual(store.get_ids(DOC), [])
        self.assertEqual(store.get_attributes(DOC, "id"), [])
        self.assertEqual(store.get_value(DOC, "id", "attr"), "")
        self.assertFalse(store.has_value(DOC, "id", "attr"))
        self.assertStoreError(Xul.StoreError.READ_ONLY, store.set_value, DOC, "i", "a", "v")


class TestDb(StoreTestCase):
    def test_get_db(self):
        store = self.open()
        db = store.get_db()
        self.assertIsInstance(db, Xul.KvDb)
        self.assertIs(store.get_db(), db)
        self.assertEqual(db.get_path(), self.path)
        self.assertEqual(db.get_recovery(), Xul.KvRecovery.NONE)
        self.assertIsNone(db.get_quarantine_path())
        self.assertTrue(db.check_integrity())
        self.assertIn("xulstore", db.list_stores())
        store.set_value(DOC, "id", "attr", "v")
        store.flush()
        self.assertTrue(db.check_integrity())

    def test_get_db_after_reopen(self):
        store = self.open()
        store.set_value(DOC, "id", "attr", "v")
        store = self.reopen(store)
        db = store.get_db()
        self.assertEqual(db.get_recovery(), Xul.KvRecovery.NONE)
        self.assertTrue(db.check_integrity())
        reader = self.open(Xul.StoreFlags.READ_ONLY)
        self.assertEqual(reader.get_db().get_recovery(), Xul.KvRecovery.NONE)
        self.assertTrue(reader.get_db().check_integrity())


class TestKvCore(StoreTestCase):
    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.dir, "kv.sqlite")

    def test_put_get_has_delete_count(self):
        db = self.open_kv()
        self.assertIsInstance(db, Xul.KvDb)
        store = db.open_store("things", Xul.KvStoreFlags.CREATE)
        self.assertEqual(store.get_name(), "things")
        self.assertTrue(store.put(b"key", b"value"))
        value = store.get(b"key")
        self.assertIsInstance(value, GLib.Bytes)
        self.assertEqual(value.get_data(), b"value")
        self.assertTrue(store.has(b"key"))
        self.assertFalse(store.has(b"missing"))
        self.assertKvError(Xul.KvError.NOT_FOUND, store.get, b"missing")
        ok, count = store.count()
        self.assertTrue(ok)
        self.assertEqual(count, 1)
        store.put(b"bin\x00\xff", b"\x00\x01\xfe")
        self.assertEqual(store.get(b"bin\x00\xff").get_data(), b"\x00\x01\xfe")
        store.put(b"empty", b"")
        self.assertEqual(store.get(b"empty").get_data(), b"")
        self.assertEqual(store.count()[1], 3)
        self.assertTrue(store.delete(b"key"))
        self.assertTrue(store.delete(b"key"))
        self.assertFalse(store.has(b"key"))
        self.assertKvError(Xul.KvError.NOT_FOUND, store.get, b"key")
        self.assertEqual(store.count()[1], 2)
        db.close()
        db = self.open_kv()
        store = db.open_store("things", Xul.KvStoreFlags.NONE)
        self.assertEqual(store.get(b"bin\x00\xff").get_data(), b"\x00\x01\xfe")

    def test_open_missing_store(self):
        db = self.open_kv()
        self.assertKvError(Xul.KvError.NO_SUCH_STORE,
                           db.open_store, "nope", Xul.KvStoreFlags.NONE)

    def test_batch_and_iteration(self):
        db = self.open_kv()
        store = db.open_store("s", Xul.KvStoreFlags.CREATE)
        other = db.open_store("t", Xul.KvStoreFlags.CREATE)
        store.put(b"k-old", b"old")
        batch = Xul.KvBatch.new()
        batch.put(store, b"k3", b"three")
        batch.put(store, b"k1", b"one")
        batch.put(store, b"k2", b"two")
        batch.put(store, b"k\xff", b"high")
        batch.put(store, b"x", b"not in prefix")
        batch.put(store, b"j", b"not in prefix either")
        batch.put(other, b"k0", b"other store")
        batch.delete(store, b"k-old")
        batch.put(store, b"k2", b"two again")
        self.assertEqual(batch.get_length(), 9)
        self.assertFalse(store.has(b"k1"))
        self.assertTrue(db.commit(batch, Xul.KvCommitFlags.NONE))
        self.assertFalse(store.has(b"k-old"))
        self.assertEqual(store.get(b"k2").get_data(), b"two again")

        it = store.iter_prefix(b"k")
        rows = []
        while it.next():
            rows.append((bytes(it.get_key()), bytes(it.get_value())))
        self.assertEqual(rows, [(b"k1", b"one"), (b"k2", b"two again"),
                                (b"k3", b"three"), (b"k\xff", b"high")])
        self.assertFalse(it.next())

        it = store.iter_prefix(None)
        keys = []
        while it.next():
            keys.append(bytes(it.get_key()))
        self.assertEqual(keys, sorted(keys))
        self.assertEqual(keys, [b"j", b"k1", b"k2", b"k3", b"k\xff", b"x"])
        self.assertEqual(other.get(b"k0").get_data(), b"other store")

        it = store.iter_range(GLib.Bytes.new(b"k2"), GLib.Bytes.new(b"x"))
        keys = []
        while it.next():
            keys.append(bytes(it.get_key()))
        self.assertEqual(keys, [b"k2", b"k3", b"k\xff"])

    def test_list_and_drop_stores(self):
        db = self.open_kv()
        self.assertEqual(db.list_stores(), [])
        for name in ("b", "a", "c"):
            db.open_store(name, Xul.KvStoreFlags.CREATE)
        stores = db.list_stores()
        self.assertIsInstance(stores, list)
        self.assertEqual(stores, ["a", "b", "c"])
        handle = db.open_store("b", Xul.KvStoreFlags.NONE)
        handle.put(b"k", b"v")
        self.assertTrue(db.drop_store("b"))
        self.assertEqual(db.list_stores(), ["a", "c"])
        self.assertKvError(Xul.KvError.NO_SUCH_STORE, handle.get, b"k")
        self.assertKvError(Xul.KvError.NO_SUCH_STORE, db.drop_store, "b")

    def test_backup_and_restore(self):
        db = self.open_kv()
        store = db.open_store("s", Xul.KvStoreFlags.CREATE)
        store.put(b"key", b"before")
        self.assertTrue(db.backup(None))
        backup = db.get_backup_path()
        self.assertEqual(backup, self.path + ".bak")
        self.assertTrue(os.path.exists(backup))
        store.put(b"key", b"after")
        store.put(b"new", b"x")
        self.assertTrue(db.restore(backup))
        self.assertEqual(store.get(b"key").get_data(), b"before")
        self.assertFalse(store.has(b"new"))

        explicit = os.path.join(self.dir, "explicit.bak")
        store.put(b"key", b"explicit")
        self.assertTrue(db.backup(explicit))
        store.put(b"key", b"later")
        self.assertTrue(db.restore(explicit))
        self.assertEqual(store.get(b"key").get_data(), b"explicit")
        self.assertTrue(db.check_integrity())

        junk = os.path.join(self.dir, "junk.bak")
        with open(junk, "wb") as f:
            f.write(b"junk" * 1000)
        with self.assertRaises(GLib.Error) as caught:
            db.restore(junk)
        self.assertEqual(caught.exception.domain, GLib.quark_to_string(Xul.KvError.quark()))
        self.assertEqual(store.get(b"key").get_data(), b"explicit")

    def test_read_only_db(self):
        db = self.open_kv()
        db.open_store("s", Xul.KvStoreFlags.CREATE).put(b"k", b"v")
        reader = self.open_kv(Xul.KvOpenFlags.READ_ONLY)
        store = reader.open_store("s", Xul.KvStoreFlags.NONE)
        self.assertEqual(store.get(b"k").get_data(), b"v")
        self.assertKvError(Xul.KvError.READ_ONLY, store.put, b"k", b"w")
        self.assertKvError(Xul.KvError.NOT_FOUND, Xul.KvDb.open,
                           os.path.join(self.dir, "missing.sqlite"),
                           Xul.KvOpenFlags.READ_ONLY)


if __name__ == "__main__":
    unittest.main(verbosity=2)
