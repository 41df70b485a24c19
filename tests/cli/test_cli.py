"""The xulstore command-line tool, from the outside: arguments in; exit codes, stdout,
stderr and files out.

Run by meson as:  python3 test_cli.py XULSTORE-BINARY DATA-DIR [unittest arguments]

Standard library only. Every test works in its own temporary directory.
"""
import fcntl
import glob
import hashlib
import json
import os
import pty
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

if len(sys.argv) < 3:
    sys.exit("usage: test_cli.py XULSTORE-BINARY DATA-DIR [unittest arguments]")
XULSTORE = os.path.abspath(sys.argv[1])
DATA = os.path.abspath(sys.argv[2])
SOURCE_ROOT = os.path.dirname(DATA)
PROFILE_JSON = os.path.join(DATA, "profile", "xulstore.json")

ENV = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
ENV.pop("LANGUAGE", None)

BROWSER = "chrome://browser/content/browser.xhtml"

COMMANDS = {
    # name: number of positional arguments
    "get": 3, "has": 3, "set": 4, "remove": 3, "remove-document": 1, "clear": 0,
    "documents": 0, "ids": 1, "attributes": 2, "dump": 0, "import": 1, "export": 1,
    "migrate": 0, "check": 0, "backup": 1, "restore": 1, "stats": 0,
}
READ_COMMANDS = {"get", "has", "documents", "ids", "attributes", "dump", "export", "check",
                 "backup", "stats"}

# data/README.md: what importing each importable file gives. (documents, ids, values,
# skipped entries, truncated entries, a "problem" is reported)
GOOD_FILES = {
    "samples/bom.json": (1, 1, 2, 0, 0, False),
    "samples/duplicate-keys.json": (3, 6, 7, 0, 0, False),
    "samples/empty-object.json": (0, 0, 0, 0, 0, False),
    "samples/empty.json": (0, 0, 0, 0, 0, True),
    # The value of 5000 characters is cut to 4096 and reported (docs/migration.md).
    "samples/over-limits.json": (2, 6, 10, 2, 1, False),
    "samples/pretty.json": (3, 8, 17, 0, 0, False),
    "samples/skipped-entries.json": (2, 3, 5, 5, 0, False),
    "samples/third-party-numbers.json": (2, 8, 19, 0, 0, False),
    "samples/unicode.json": (3, 9, 21, 0, 0, False),
    "samples/whitespace-only.json": (0, 0, 0, 0, 0, True),
    "profile/xulstore.json": (8, 432, 468, 0, 0, False),
    # Valid JSON whose bad entry is skipped and reported (data/README.md).
    "broken/nul-in-key.json": (1, 1, 1, 1, 0, False),
    "broken/lone-surrogate.json": (1, 1, 1, 1, 0, False),
}

# data/README.md: files that must be refused, with the accepted (line, column)s.
BROKEN_FILES = {
    "syntax-missing-colon.json": [(3, 19)],
    # end of input; README: many parsers report the opening quote instead
    "syntax-unterminated-string.json": [(1, 90), (1, 83)],
    "syntax-trailing-comma.json": [(6, 5)],
    "truncated.json": [(1, 12833)],
    "trailing-garbage.json": [(1, 76)],
    "invalid-utf8.json": [(1, 74)],
    "not-an-object.json": [(1, 1)],
    "top-level-string.json": [(1, 1)],
    "binary-garbage.json": [(1, 1), (1, 6)],
    "single-quotes.json": [(2, 3)],
    "comments.json": [(2, 3)],
    "nan.json": [(4, 16)],
}
# BAD_SHAPE at the first "[" (offset 66), or NESTING with the documented limit of 64
# levels: offset 66 + 64 - 3 = 127 (data/README.md).
DEEP_NESTING = [(1, 67), (1, 128)]


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout  # bytes
        self.err = proc.stderr.decode("utf-8", "replace")

    @property
    def text(self):
        return self.out.decode("utf-8")

    def __repr__(self):
        return "<rc=%d stdout=%r stderr=%r>" % (self.rc, self.out[:300], self.err[:600])


def xulstore(*args, input=None, cwd=None, umask=None):
    preexec = (lambda: os.umask(umask)) if umask is not None else None
    proc = subprocess.run([XULSTORE, *args], input=input, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=None if input else subprocess.DEVNULL,
                          env=ENV, cwd=cwd, preexec_fn=preexec, timeout=60)
    return Result(proc)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def file_mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def damage_header(path):
    """Zeroes the first 100 bytes: the SQLite header."""
    with open(path, "r+b") as f:
        f.write(b"\0" * 100)


class ToolTestCase(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="xulstore-cli-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.db = os.path.join(self.dir, "store.sqlite")
        self.profile = os.path.join(self.dir, "profile")

    def path(self, name):
        return os.path.join(self.dir, name)

    def run_db(self, *args, **kwargs):
        return xulstore("--db", self.db, *args, **kwargs)

    def run_profile(self, *args, mode=None, **kwargs):
        options = ["--profile", self.profile] + (["--mode", mode] if mode else [])
        return xulstore(*options, *args, **kwargs)

    def make_profile(self):
        os.makedirs(self.profile, exist_ok=True)
        shutil.copy(PROFILE_JSON, os.path.join(self.profile, "xulstore.json"))
        return os.path.join(self.profile, "xulstore.json")

    # -- assertions --

    def ok(self, result, out=None):
        self.assertEqual(result.rc, 0, result)
        if out is not None:
            self.assertEqual(result.out, out, result)
        return result

    def assertUsage(self, result, command=None):
        self.assertEqual(result.rc, 2, result)
        self.assertEqual(result.out, b"", result)
        self.assertIn("--help", result.err, result)
        lines = result.err.splitlines()
        self.assertEqual(len(lines), 2, result)  # the message, then the hint
        self.assertTrue(lines[0].startswith("xulstore: "), result)
        if command is not None:
            self.assertIn("xulstore %s --help" % command, lines[1], result)

    def assertFailure(self, result, *names):
        """Exit 3, one clear line on stderr naming the file(s), nothing on stdout."""
        self.assertEqual(result.rc, 3, result)
        self.assertEqual(result.out, b"", result)
        lines = result.err.splitlines()
        self.assertEqual(len(lines), 1, result)
        self.assertTrue(lines[0].startswith("xulstore: "), result)
        for name in names:
            self.assertIn(name, result.err, result)

    def assertQuiet(self, result, rc):
        self.assertEqual(result.rc, rc, result)
        self.assertEqual(result.out, b"", result)
        self.assertEqual(result.err, "", result)

    def dump(self, *options):
        result = self.ok(self.run_db("dump"))
        self.assertEqual(result.err, "")
        return json.loads(result.out)

    def lines(self, *args):
        result = self.ok(self.run_db(*args))
        self.assertEqual(result.err, "", result)
        return result.text.splitlines()


class UsageTests(ToolTestCase):
    def test_no_command(self):
        self.assertUsage(xulstore())
        self.assertUsage(xulstore("--db", self.db))
        self.assertFalse(os.path.exists(self.db))

    def test_unknown_command(self):
        result = xulstore("--db", self.db, "frobnicate")
        self.assertUsage(result)
        self.assertIn("frobnicate", result.err)
        self.assertFalse(os.path.exists(self.db))

    def test_missing_and_extra_arguments(self):
        for command, n in COMMANDS.items():
            for count in {n - 1, n + 1} - {-1}:
                with self.subTest(command=command, arguments=count):
                    result = xulstore("--db", self.db, command, *["x"] * count)
                    self.assertUsage(result, command)
        self.assertEqual(glob.glob(self.db + "*"), [])

    def test_unknown_option(self):
        self.assertUsage(xulstore("--bogus", "--db", self.db, "documents"))
        self.assertUsage(xulstore("--db", self.db, "documents", "--bogus"), "documents")
        self.assertUsage(xulstore("--db", self.db, "get", "--pretty", "d", "i", "a"), "get")
        self.assertUsage(xulstore("--db", self.db, "dump", "--json"), "dump")
        self.assertUsage(xulstore("--db"))  # option without its argument

    def test_store_options(self):
        os.makedirs(self.profile)
        cases = {
            "--mode without --profile": ["--mode", "migrate", "--db", self.db],
            "both --db and --profile": ["--db", self.db, "--profile", self.profile],
            "neither": [],
            "unknown mode": ["--profile", self.profile, "--mode", "fast"],
        }
        for name, options in cases.items():
            with self.subTest(name):
                result = xulstore(*options, "documents")
                self.assertUsage(result)
        self.assertIn("fast", xulstore("--profile", self.profile, "--mode", "fast",
                                       "documents").err)
        self.assertFalse(os.path.exists(self.db))
        self.assertEqual(os.listdir(self.profile), [])

    def test_help(self):
        for args in (["--help"], ["-h"], ["--db", self.db, "--help"]):
            with self.subTest(args=args):
                result = self.ok(xulstore(*args))
                self.assertEqual(result.err, "")
                self.assertTrue(result.text.startswith("Usage:"), result)
                for option in ("--db", "--profile", "--mode", "--version"):
                    self.assertIn(option, result.text)
                for mode in ("new-only", "migrate", "dual-write", "finalize"):
                    self.assertIn(mode, result.text)
                for command in COMMANDS:
                    self.assertRegex(result.text, r"\n  %s\b" % re.escape(command))
                self.assertIn("Exit status", result.text)
        self.assertFalse(os.path.exists(self.db))

    def test_command_help(self):
        own_options = {"dump": ["--pretty"], "import": ["--replace", "--strict", "--json"],
                       "migrate": ["--json"], "stats": ["--json"]}
        for command in COMMANDS:
            with self.subTest(command=command):
                result = self.ok(xulstore(command, "--help"))  # no store needed
                self.assertEqual(result.err, "")
                self.assertTrue(result.text.startswith("Usage:\n  xulstore %s " % command),
                                result)
                for option in own_options.get(command, []):
                    self.assertIn(option, result.text)
                self.ok(xulstore("--db", self.db, command, "--help"))
        self.assertFalse(os.path.exists(self.db))

    def test_version(self):
        with open(os.path.join(SOURCE_ROOT, "meson.build")) as f:
            version = re.search(r"version:\s*'([^']+)'", f.read()).group(1)
        result = self.ok(xulstore("--version"), ("xulstore %s\n" % version).encode())
        self.assertEqual(result.err, "")


class ValueTests(ToolTestCase):
    def test_set_get_has(self):
        self.assertQuiet(self.run_db("set", "doc", "id", "attr", "value"), 0)
        self.assertQuiet(self.run_db("has", "doc", "id", "attr"), 0)
        result = self.ok(self.run_db("get", "doc", "id", "attr"), b"value\n")
        self.assertEqual(result.err, "")
        self.assertQuiet(self.run_db("set", "doc", "id", "attr", "other"), 0)
        self.ok(self.run_db("get", "doc", "id", "attr"), b"other\n")

    def test_missing_values(self):
        self.ok(self.run_db("set", "doc", "id", "attr", "value"))
        for missing in (["doc", "id", "nope"], ["doc", "nope", "attr"], ["nope", "id", "attr"]):
            with self.subTest(missing=missing):
                self.assertQuiet(self.run_db("get", *missing), 1)
                self.assertQuiet(self.run_db("has", *missing), 1)

    def test_values_round_trip(self):
        values = {
            "spaces": "  two  spaces  ",
            "newlines": "line 1\nline 2\n\nline 4\n",
            "tab-cr": "a\tb\rc",
            "unicode": "é 中文 😀 עברית العربية",
            "quotes": "left: 0px; \"quoted\" 'single' back\\slash",
            "empty": "",
            "nfd": "cafe\u0301",
            "max": "é" * 4096,
        }
        for attr, value in values.items():
            self.ok(self.run_db("set", "doc", "window", attr, value))
        for attr, value in values.items():
            with self.subTest(attr=attr):
                self.ok(self.run_db("get", "doc", "window", attr),
                        value.encode("utf-8") + b"\n")
        self.assertEqual(self.dump(), {"doc": {"window": values}})
        # Unicode and spaces in names too.
        self.ok(self.run_db("set", "chrome://app/é 中文.xhtml", "id with space", "😀", "x"))
        self.ok(self.run_db("get", "chrome://app/é 中文.xhtml", "id with space", "😀"), b"x\n")

    def test_values_starting_with_dash(self):
        # Firefox stores screenX="-8" for a maximized window (data/profile/xulstore.json);
        # "--" ends the options, as everywhere in POSIX.
        for args in (["--", BROWSER, "main-window", "screenX", "-8"],
                     [BROWSER, "main-window", "screenX", "--", "-8"]):
            with self.subTest(args=args):
                self.assertQuiet(self.run_db("set", *args), 0)
                self.ok(self.run_db("get", BROWSER, "main-window", "screenX"), b"-8\n")
                self.ok(self.run_db("remove", BROWSER, "main-window", "screenX"))

    def test_rejected_values(self):
        self.ok(self.run_db("set", "doc", "id", "attr", "kept"))
        for value in ("x" * 4097, "bad \udcff byte"):
            with self.subTest(length=len(value)):
                arg = value.encode("utf-8", "surrogateescape")
                result = xulstore("--db", self.db, "set", "doc", "id", "attr", arg)
                self.assertEqual(result.rc, 3, result)
                self.assertEqual(result.out, b"")
                self.assertEqual(len(result.err.splitlines()), 1, result)
        self.ok(self.run_db("get", "doc", "id", "attr"), b"kept\n")

    def test_remove(self):
        self.ok(self.run_db("set", "doc", "id", "a", "1"))
        self.ok(self.run_db("set", "doc", "id", "b", "2"))
        self.assertQuiet(self.run_db("remove", "doc", "id", "a"), 0)
        self.assertQuiet(self.run_db("has", "doc", "id", "a"), 1)
        self.assertQuiet(self.run_db("remove", "doc", "id", "a"), 0)  # no error when absent
        self.assertEqual(self.dump(), {"doc": {"id": {"b": "2"}}})

    def test_remove_document_and_clear(self):
        for doc in ("one", "two"):
            for n in range(3):
                self.ok(self.run_db("set", doc, "id%d" % n, "attr", str(n)))
        self.assertQuiet(self.run_db("remove-document", "one"), 0)
        self.assertEqual(self.lines("documents"), ["two"])
        self.assertQuiet(self.run_db("remove-document", "absent"), 0)
        self.assertQuiet(self.run_db("clear"), 0)
        self.assertEqual(self.lines("documents"), [])
        self.ok(self.run_db("dump"), b"{}\n")

    def test_lists_sorted(self):
        names = ["b", "B", "a", "é", "Z", "10", "9", "a b", "😀", "~"]
        for name in names:
            self.ok(self.run_db("set", name, "id", "attr", "v"))
            self.ok(self.run_db("set", "doc", name, "attr", "v"))
            self.ok(self.run_db("set", "doc", "id", name, "v"))
        by_bytes = lambda items: sorted(items, key=lambda s: s.encode("utf-8"))
        self.assertEqual(self.lines("documents"), by_bytes(names + ["doc"]))
        self.assertEqual(self.lines("ids", "doc"), by_bytes(names + ["id"]))
        self.assertEqual(self.lines("attributes", "doc", "id"), by_bytes(names))
        # Unknown document or element: an empty list, not an error.
        self.ok(self.run_db("ids", "absent"), b"")
        self.ok(self.run_db("attributes", "doc", "absent"), b"")

    def test_read_commands_do_not_create_a_store(self):
        for args in (["get", "d", "i", "a"], ["has", "d", "i", "a"], ["documents"], ["dump"],
                     ["stats"], ["check"], ["ids", "d"], ["export", self.path("out.json")]):
            with self.subTest(command=args[0]):
                self.assertFailure(self.run_db(*args), self.db)
        self.assertEqual(sorted(os.listdir(self.dir)), [])


class FileTests(ToolTestCase):
    def fill(self):
        self.ok(self.run_db("import", os.path.join(DATA, "samples", "unicode.json")))
        self.ok(self.run_db("set", "doc", "id", "multi", "line 1\nline 2"))

    def test_dump_and_export(self):
        self.fill()
        compact = self.ok(self.run_db("dump"))
        self.assertEqual(compact.err, "")
        exported = self.path("export.json")
        self.assertQuiet(self.run_db("export", exported), 0)
        self.assertEqual(read_bytes(exported) + b"\n", compact.out)
        self.assertEqual(compact.out.count(b"\n"), 1)  # one line, compact
        pretty = self.ok(self.run_db("dump", "--pretty"))
        self.assertEqual(pretty.err, "")
        self.assertEqual(json.loads(pretty.out), json.loads(compact.out))
        self.assertIn(b'\n  "', pretty.out)  # indented
        self.assertEqual(json.loads(compact.out)["doc"]["id"]["multi"], "line 1\nline 2")

    def test_export_import_round_trip(self):
        self.fill()
        exported = self.path("export.json")
        self.ok(self.run_db("export", exported))
        other = self.path("other.sqlite")
        self.ok(xulstore("--db", other, "import", exported))
        self.assertEqual(xulstore("--db", other, "dump").out, self.run_db("dump").out)

    def test_file_modes(self):
        self.fill()
        exported, backup = self.path("export.json"), self.path("backup.sqlite")
        created = self.path("created.sqlite")
        self.ok(xulstore("--db", created, "set", "d", "i", "a", "v", umask=0))
        self.ok(xulstore("--db", created, "export", exported, umask=0))
        self.ok(xulstore("--db", created, "backup", backup, umask=0))
        for path in (created, exported, backup):
            with self.subTest(path=os.path.basename(path)):
                self.assertEqual(file_mode(path), 0o600)

    def test_import_merge_and_replace(self):
        self.ok(self.run_db("set", "mine", "id", "attr", "kept?"))
        self.ok(self.run_db("import", os.path.join(DATA, "samples", "bom.json")))
        merged = self.dump()
        self.assertEqual(merged["mine"], {"id": {"attr": "kept?"}})
        self.assertEqual(merged[BROWSER]["main-window"], {"height": "800", "width": "1280"})
        self.ok(self.run_db("import", "--replace", os.path.join(DATA, "samples", "pretty.json")))
        self.assertEqual(self.dump(), json.loads(read_bytes(os.path.join(DATA, "samples",
                                                                        "pretty.json"))))

    def test_import_good_files(self):
        for name, (docs, ids, values, skipped, truncated, problem) in GOOD_FILES.items():
            source = os.path.join(DATA, name)
            with self.subTest(file=name, output="json"):
                db = self.path(name.replace("/", "-") + ".sqlite")
                result = self.ok(xulstore("--db", db, "import", source, "--json"))
                self.assertEqual(result.err, "")
                report = json.loads(result.out)
                self.assertEqual(report["action"], "imported")
                self.assertEqual(report["source"], source)
                self.assertEqual((report["documents"], report["ids"], report["values"]),
                                 (docs, ids, values))
                kinds = [entry["kind"] for entry in report["entries"]]
                self.assertEqual((kinds.count("skipped"), kinds.count("truncated")),
                                 (skipped, truncated), report["entries"])
                for entry in report["entries"]:
                    self.assertTrue(entry["path"].startswith("/"), entry)
                    self.assertTrue(entry["reason"], entry)
                self.assertEqual(report["problem"] is not None, problem, report)
                self.assertIsInstance(report["duration_us"], int)
                stats = json.loads(xulstore("--db", db, "stats", "--json").out)
                self.assertEqual((stats["records"], stats["documents"]), (values, docs))
            with self.subTest(file=name, output="text"):
                db = self.path(name.replace("/", "-") + ".text.sqlite")
                result = self.ok(xulstore("--db", db, "import", source))
                self.assertEqual(result.err, "")
                self.assertIn("action: imported\n", result.text)
                self.assertIn("legacy file: %s\n" % source, result.text)
                self.assertIn("imported: %d documents, %d elements, %d values\n"
                              % (docs, ids, values), result.text)
                self.assertEqual(result.text.count("\nskipped: "), skipped)
                self.assertEqual(result.text.count("\ntruncated: "), truncated)

    def test_imported_content(self):
        same_as_json = ["samples/bom.json", "samples/duplicate-keys.json",
                        "samples/empty-object.json", "samples/pretty.json",
                        "samples/unicode.json", "profile/xulstore.json"]
        for name in same_as_json:
            with self.subTest(file=name):
                db = self.path(name.replace("/", "-") + ".sqlite")
                self.ok(xulstore("--db", db, "import", os.path.join(DATA, name)))
                self.assertEqual(json.loads(xulstore("--db", db, "dump").out),
                                 json.loads(read_bytes(os.path.join(DATA, name))))
        self.ok(self.run_db("import", os.path.join(DATA, "samples", "third-party-numbers.json")))
        dump = self.dump()
        window = dump[BROWSER]
        self.assertEqual(window["main-window"], {"width": "1280", "height": "800",
                                                 "screenX": "-8", "screenY": "-8",
                                                 "sizemode": "maximized"})
        self.assertEqual(window["sidebar-box"]["width"], "1000")
        self.assertEqual(window["sidebar-box"]["checked"], "true")
        self.assertEqual(window["PersonalToolbar"]["collapsed"], "false")
        places = dump["chrome://browser/content/places/places.xhtml"]
        self.assertEqual(places["places"], {"width": "2.5", "height": "100"})
        self.assertEqual(places["placesContentDate"], {"ordinal": "0", "width": "0"})
        self.assertEqual(places["placesContentTitle"]["lastModified"], "12345678901234567000")
        self.assertEqual(places["placesContentURL"]["tinier"], "1e-7")
        for name in ("nul-in-key.json", "lone-surrogate.json"):
            with self.subTest(file=name):
                db = self.path(name + ".sqlite")
                self.ok(xulstore("--db", db, "import", os.path.join(DATA, "broken", name)))
                self.assertEqual(json.loads(xulstore("--db", db, "dump").out),
                                 {BROWSER: {"main-window": {"width": "1280"}}})

    def import_refused(self, path, positions, *options):
        self.ok(self.run_db("set", "mine", "id", "attr", "before"))
        before = self.run_db("dump").out
        result = self.run_db("import", *options, path)
        self.assertFailure(result, path)
        found = re.search(re.escape(path) + r":(\d+):(\d+):", result.err)
        self.assertIsNotNone(found, result)
        self.assertIn((int(found.group(1)), int(found.group(2))), positions, result)
        self.assertEqual(self.run_db("dump").out, before)  # nothing imported

    def test_import_broken_files(self):
        on_disk = set(os.listdir(os.path.join(DATA, "broken")))
        listed = set(BROKEN_FILES) | {"deep-nesting.json", "nul-in-key.json",
                                      "lone-surrogate.json"}
        self.assertEqual(on_disk, listed, "a new file in data/broken/: list it here")
        for name, positions in BROKEN_FILES.items():
            with self.subTest(file=name):
                path = os.path.join(DATA, "broken", name)
                before = read_bytes(path)
                self.import_refused(path, positions)
                self.assertEqual(read_bytes(path), before)

    def test_import_deep_nesting(self):
        self.import_refused(os.path.join(DATA, "broken", "deep-nesting.json"), DEEP_NESTING)

    def test_import_strict(self):
        self.import_refused(os.path.join(DATA, "samples", "skipped-entries.json"),
                            [(5, 17)], "--strict")

    def test_import_strict_unrepresentable_strings(self):
        # data/README.md: the offset is that of the backslash of \u0000 / \ud800 (86).
        for name in ("nul-in-key.json", "lone-surrogate.json"):
            with self.subTest(file=name):
                self.import_refused(os.path.join(DATA, "broken", name), [(1, 87)], "--strict")

    def test_import_missing_file(self):
        missing = self.path("missing.json")
        self.assertFailure(self.run_db("import", missing), missing)

    def test_backup_restore(self):
        self.fill()
        saved = self.run_db("dump").out
        backup = self.path("saved.sqlite")
        self.assertQuiet(self.run_db("backup", backup), 0)
        self.assertEqual(file_mode(backup), 0o600)
        self.ok(self.run_db("clear"))
        self.ok(self.run_db("set", "new", "id", "attr", "after the backup"))
        self.assertQuiet(self.run_db("restore", backup), 0)
        self.assertEqual(self.run_db("dump").out, saved)
        # The backup is a store of its own.
        self.assertEqual(xulstore("--db", backup, "dump").out, saved)
        missing = self.path("missing.sqlite")
        self.assertFailure(self.run_db("restore", missing), missing)
        self.assertEqual(self.run_db("dump").out, saved)

    def test_stats(self):
        self.fill()
        records = sum(len(attrs) for doc in self.dump().values() for attrs in doc.values())
        text = self.ok(self.run_db("stats"))
        self.assertEqual(text.err, "")
        fields = dict(line.split(None, 1) for line in text.text.splitlines())
        for key in ("path", "records", "documents", "schema-version", "database-bytes",
                    "wal-bytes", "backup-bytes", "last-backup", "created-at",
                    "last-recovery", "migration", "finalized"):
            self.assertIn(key, fields)
        self.assertEqual(fields["records"], str(records))
        self.assertEqual(fields["migration"], "none")
        stats = json.loads(self.ok(self.run_db("stats", "--json")).out)
        self.assertEqual(stats["path"], self.db)
        self.assertEqual(stats["records"], records)
        self.assertEqual(stats["documents"], len(self.lines("documents")))
        self.assertIsInstance(stats["schema-version"], int)
        self.assertGreaterEqual(stats["schema-version"], 1)
        self.assertGreater(stats["database-bytes"], 0)
        self.assertIsNone(stats["migration"])
        self.assertIsNone(stats["last-recovery"])
        self.ok(self.run_db("backup", self.db + ".bak"))
        stats = json.loads(self.ok(self.run_db("stats", "--json")).out)
        self.assertRegex(stats["last-backup"], r"^\d{4}-\d\d-\d\dT")
        self.assertEqual(stats["backup-bytes"], os.path.getsize(self.db + ".bak"))


class MigrateTests(ToolTestCase):
    def migrate(self, mode=None, expect=None):
        result = self.ok(self.run_profile("migrate", "--json", mode=mode))
        self.assertEqual(result.err, "")
        report = json.loads(result.out)
        if expect is not None:
            self.assertEqual(report["action"], expect, report)
        return report

    def test_migrate_needs_profile(self):
        self.ok(self.run_db("set", "d", "i", "a", "v"))
        result = self.run_db("migrate")
        self.assertIn(result.rc, (2, 3), result)
        self.assertEqual(result.out, b"")
        self.assertIn("--profile", result.err)
        self.assertEqual(len([l for l in result.err.splitlines() if "Try" not in l]), 1)

    def test_migrate_with_db_creates_nothing(self):
        result = self.run_db("migrate")
        self.assertIn(result.rc, (2, 3), result)
        self.assertEqual(sorted(os.listdir(self.dir)), [])

    def test_migrate_mode(self):
        legacy = self.make_profile()
        before = read_bytes(legacy)
        report = self.migrate(expect="imported")
        self.assertEqual((report["documents"], report["ids"], report["values"]), (8, 432, 468))
        self.assertEqual(report["entries"], [])
        self.assertEqual(report["source"], legacy)
        self.migrate(expect="already-migrated")
        self.migrate(mode="migrate", expect="already-migrated")
        self.assertEqual(read_bytes(legacy), before)  # never touched
        self.assertEqual(file_mode(os.path.join(self.profile, "xulstore.sqlite")), 0o600)
        self.assertEqual(json.loads(self.run_profile("dump").out), json.loads(before))
        text = self.ok(self.run_profile("migrate"))
        self.assertIn("action: already-migrated\n", text.text)
        self.assertIn("legacy file: %s\n" % legacy, text.text)

    def test_migrate_text_report(self):
        legacy = self.make_profile()
        result = self.ok(self.run_profile("migrate"))
        self.assertEqual(result.err, "")
        self.assertIn("action: imported\n", result.text)
        self.assertIn("imported: 8 documents, 432 elements, 468 values\n", result.text)

    def test_new_only_mode(self):
        legacy = self.make_profile()
        before = read_bytes(legacy)
        self.migrate(mode="new-only", expect="none")
        self.assertEqual(self.run_profile("documents", mode="new-only").out, b"")
        self.assertEqual(read_bytes(legacy), before)

    def test_dual_write_mode(self):
        legacy = self.make_profile()
        self.migrate(mode="dual-write", expect="imported")
        self.migrate(mode="dual-write", expect="already-migrated")
        dump = self.run_profile("dump", mode="dual-write").out
        self.assertEqual(read_bytes(legacy) + b"\n", dump)  # the mirror is the store
        self.ok(self.run_profile("set", BROWSER, "main-window", "width", "1234",
                                 mode="dual-write"))
        mirror = json.loads(read_bytes(legacy))
        self.assertEqual(mirror[BROWSER]["main-window"]["width"], "1234")
        self.assertEqual(read_bytes(legacy) + b"\n",
                         self.run_profile("dump", mode="dual-write").out)
        self.assertEqual(file_mode(legacy), 0o600)

    def test_dual_write_creates_the_legacy_file(self):
        os.makedirs(self.profile)
        legacy = os.path.join(self.profile, "xulstore.json")
        self.migrate(mode="dual-write", expect="legacy-missing")
        self.ok(self.run_profile("set", "doc", "id", "attr", "v", mode="dual-write"))
        self.assertEqual(json.loads(read_bytes(legacy)), {"doc": {"id": {"attr": "v"}}})

    def test_finalize_mode(self):
        legacy = self.make_profile()
        before = read_bytes(legacy)
        report = self.migrate(mode="finalize", expect="finalized")
        self.assertEqual(report["values"], 468)
        self.assertFalse(os.path.exists(legacy))
        renamed = glob.glob(legacy + ".migrated-*")
        self.assertEqual(len(renamed), 1, os.listdir(self.profile))
        self.assertRegex(renamed[0], r"\.migrated-\d{8}T\d{6}Z$")
        self.assertEqual(read_bytes(renamed[0]), before)
        self.migrate(mode="finalize", expect="already-migrated")
        self.assertFalse(os.path.exists(legacy))
        stats = json.loads(self.run_profile("stats", "--json", mode="finalize").out)
        self.assertEqual(stats["finalized"]["renamed-to"], renamed[0])
        self.assertEqual(stats["records"], 468)

    def test_dual_write_then_finalize(self):
        legacy = self.make_profile()
        self.migrate(mode="dual-write", expect="imported")
        self.ok(self.run_profile("set", "doc", "id", "attr", "v", mode="dual-write"))
        self.migrate(mode="finalize", expect="finalized")
        self.assertFalse(os.path.exists(legacy))
        self.assertEqual(len(glob.glob(legacy + ".migrated-*")), 1)
        self.ok(self.run_profile("get", "doc", "id", "attr", mode="new-only"), b"v\n")

    def test_migrate_then_dual_write_or_finalize_keeps_changes(self):
        # The legacy file was imported by MIGRATE and nobody touched it since (its
        # SHA-256 is the migration record's): a later DUAL_WRITE or FINALIZE open must not
        # take it for an older release's edit and roll the store back to it.
        for mode in ("dual-write", "finalize"):
            with self.subTest(mode=mode):
                shutil.rmtree(self.profile, ignore_errors=True)
                self.make_profile()
                self.migrate(mode="migrate", expect="imported")
                self.ok(self.run_profile("set", BROWSER, "main-window", "width", "999"))
                self.ok(self.run_profile("set", "doc", "id", "attr", "new"))
                report = self.migrate(mode=mode)
                self.assertNotEqual(report["action"], "reconciled-from-legacy", report)
                self.ok(self.run_profile("get", BROWSER, "main-window", "width", mode=mode),
                        b"999\n")
                self.ok(self.run_profile("get", "doc", "id", "attr", mode=mode), b"new\n")

    def test_unreadable_legacy_file(self):
        broken = os.path.join(DATA, "broken", "truncated.json")
        os.makedirs(self.profile)
        legacy = os.path.join(self.profile, "xulstore.json")
        shutil.copy(broken, legacy)
        # MIGRATE: reported, left alone; the store opens.
        report = self.migrate(mode="migrate", expect="none")
        self.assertIn(legacy + ":1:12833:", report["problem"])
        self.assertEqual(read_bytes(legacy), read_bytes(broken))
        self.assertEqual(self.run_profile("documents").out, b"")
        # DUAL_WRITE: moved aside, then mirrored from the store.
        report = self.migrate(mode="dual-write", expect="legacy-quarantined")
        self.assertRegex(report["quarantine"], r"xulstore\.json\.corrupt-\d{8}T\d{6}Z$")
        self.assertEqual(read_bytes(report["quarantine"]), read_bytes(broken))
        self.assertIn(":1:12833:", report["problem"])

    def test_stats_migration_record(self):
        legacy = self.make_profile()
        content = read_bytes(legacy)
        self.migrate()
        stats = json.loads(self.ok(self.run_profile("stats", "--json")).out)
        self.assertEqual((stats["records"], stats["documents"]), (468, 8))
        self.assertEqual(stats["path"], os.path.join(self.profile, "xulstore.sqlite"))
        record = stats["migration"]
        self.assertIsInstance(record, dict)
        self.assertEqual(record["source"], legacy)
        self.assertEqual(record["size"], len(content))
        self.assertEqual(record["sha256"], hashlib.sha256(content).hexdigest())
        self.assertEqual((record["documents"], record["ids"], record["values"]), (8, 432, 468))
        self.assertIn("at", record)
        self.assertIsNone(stats["finalized"])
        text = self.ok(self.run_profile("stats")).text
        self.assertRegex(text, r"(?m)^records +468$")
        self.assertRegex(text, r"(?m)^migration +\{")

    def test_opening_a_profile_reports_the_migration_on_stderr(self):
        self.make_profile()
        result = self.ok(self.run_profile("get", BROWSER, "main-window", "width"))
        self.assertEqual(result.out, b"1520\n")  # stdout stays script-friendly
        self.assertIn("migrated", result.err)
        self.assertIn("action: imported", result.err)
        result = self.ok(self.run_profile("get", BROWSER, "main-window", "width"))
        self.assertEqual(result.err, "")


class CheckAndRecoveryTests(ToolTestCase):
    def fill(self):
        self.ok(self.run_db("import", os.path.join(DATA, "samples", "pretty.json")))
        return self.run_db("dump").out

    def test_check_healthy(self):
        self.fill()
        result = self.ok(self.run_db("check"), ("%s: ok\n" % self.db).encode())
        self.assertEqual(result.err, "")

    def test_check_damaged_reports_and_never_repairs(self):
        self.fill()
        damage_header(self.db)
        before = read_bytes(self.db)
        listing = sorted(os.listdir(self.dir))
        for attempt in range(2):
            result = self.run_db("check")
            self.assertFailure(result, self.db)
            self.assertIn("not a database", result.err)  # what was found
            self.assertEqual(read_bytes(self.db), before)
            self.assertEqual(sorted(os.listdir(self.dir)), listing)
            self.assertEqual(glob.glob(self.db + ".corrupt-*"), [])

    def test_command_on_damaged_store_recovers_from_backup(self):
        saved = self.fill()
        self.ok(self.run_db("backup", self.db + ".bak"))
        damage_header(self.db)
        result = self.ok(self.run_db("dump"))
        self.assertEqual(result.out, saved)  # the backup was restored
        quarantined = glob.glob(self.db + ".corrupt-*")
        self.assertEqual(len(quarantined), 1, os.listdir(self.dir))
        lines = result.err.splitlines()
        self.assertEqual(len(lines), 1, result)
        self.assertIn(quarantined[0], lines[0])
        self.assertIn("damaged", lines[0])
        self.assertIn("backup", lines[0])
        # Said once: the next command has nothing to tell.
        result = self.ok(self.run_db("get", BROWSER, "main-window", "width"))
        self.assertEqual(result.err, "")
        self.ok(self.run_db("check"))

    def test_write_command_on_damaged_store_without_backup(self):
        self.fill()
        os.unlink(self.db + ".bak")
        damage_header(self.db)
        result = self.ok(self.run_db("set", "d", "i", "a", "v"))
        quarantined = glob.glob(self.db + ".corrupt-*")
        self.assertEqual(len(quarantined), 1)
        self.assertEqual(len(result.err.splitlines()), 1, result)
        self.assertIn(quarantined[0], result.err)
        self.assertIn("started empty", result.err)
        self.assertEqual(self.dump(), {"d": {"i": {"a": "v"}}})

    def test_damaged_profile_store(self):
        self.make_profile()
        self.ok(self.run_profile("migrate"))
        store = os.path.join(self.profile, "xulstore.sqlite")
        self.ok(self.run_profile("backup", store + ".bak"))
        damage_header(store)
        self.assertFailure(self.run_profile("check"), store)
        result = self.ok(self.run_profile("get", BROWSER, "main-window", "width"), b"1520\n")
        self.assertEqual(len(result.err.splitlines()), 1, result)
        self.assertIn(glob.glob(store + ".corrupt-*")[0], result.err)

    def test_check_missing_store(self):
        self.assertFailure(self.run_db("check"), self.db)
        self.assertFalse(os.path.exists(self.db))


class FailureTests(ToolTestCase):
    def test_unwritable_locations(self):
        nowhere = os.path.join(self.dir, "no-such-dir")
        db = os.path.join(nowhere, "x.sqlite")
        self.assertFailure(xulstore("--db", db, "set", "d", "i", "a", "v"), db)
        self.ok(self.run_db("set", "d", "i", "a", "v"))
        out = os.path.join(nowhere, "x.json")
        self.assertFailure(self.run_db("export", out), out)
        self.assertFailure(self.run_db("backup", os.path.join(nowhere, "b.sqlite")), nowhere)

    def test_not_a_store(self):
        with open(self.db, "wb") as f:
            f.write(b"hello, this is not SQLite\n" * 200)
        result = self.run_db("check")
        self.assertFailure(result, self.db)


class BusyTests(ToolTestCase):
    def hold_lock(self, store):
        """Takes the store's single-writer lock as another writer would (xul-lock.c):
        flock(LOCK_EX) on <db>.lock, our pid written in it."""
        fd = os.open(store + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(fd, 0)
        os.write(fd, b"%d\n" % os.getpid())
        self.held.add(fd)
        self.addCleanup(self.release_lock, fd)
        return fd

    def release_lock(self, fd):
        if fd in self.held:
            self.held.discard(fd)
            os.close(fd)  # releases the flock

    def setUp(self):
        super().setUp()
        self.held = set()

    def test_busy_store(self):
        self.ok(self.run_db("import", os.path.join(DATA, "samples", "pretty.json")))
        dump = self.run_db("dump").out
        fd = self.hold_lock(self.db)
        pid = str(os.getpid())
        reads = {
            "get": (["get", BROWSER, "main-window", "width"], b"1280\n"),
            "has": (["has", BROWSER, "main-window", "width"], b""),
            "documents": (["documents"], None),
            "ids": (["ids", BROWSER], None),
            "attributes": (["attributes", BROWSER, "main-window"], None),
            "dump": (["dump"], dump),
            "export": (["export", self.path("busy.json")], b""),
            "stats": (["stats", "--json"], None),
            "check": (["check"], None),
            "backup": (["backup", self.path("busy-backup.sqlite")], None),
        }
        for name, (args, out) in reads.items():
            with self.subTest(read=name):
                result = self.ok(self.run_db(*args), out)
                self.assertEqual(result.err, "")
        self.assertEqual(read_bytes(self.path("busy.json")) + b"\n", dump)
        self.assertEqual(json.loads(self.run_db("stats", "--json").out)["records"], 17)
        self.assertQuiet(self.run_db("get", BROWSER, "main-window", "nope"), 1)
        writes = [["set", "d", "i", "a", "v"], ["remove", BROWSER, "main-window", "width"],
                  ["remove-document", BROWSER], ["clear"],
                  ["import", os.path.join(DATA, "samples", "bom.json")],
                  ["restore", self.path("busy-backup.sqlite")]]
        for args in writes:
            with self.subTest(write=args[0]):
                result = self.run_db(*args)
                self.assertFailure(result, self.db, pid)
                self.assertIn("in use", result.err)
        self.assertEqual(self.run_db("dump").out, dump)
        self.release_lock(fd)
        self.ok(self.run_db("set", "d", "i", "a", "v"))

    def test_busy_profile(self):
        self.make_profile()
        self.ok(self.run_profile("migrate"))
        store = os.path.join(self.profile, "xulstore.sqlite")
        self.hold_lock(store)
        result = self.ok(self.run_profile("get", BROWSER, "main-window", "width"), b"1520\n")
        self.assertEqual(result.err, "")
        self.ok(self.run_profile("documents"))
        for args in (["migrate"], ["set", "d", "i", "a", "v"]):
            with self.subTest(write=args[0]):
                self.assertFailure(self.run_profile(*args), store, str(os.getpid()))


class ProgressTests(ToolTestCase):
    def run_with_terminal_stderr(self, *args):
        try:
            master, slave = pty.openpty()
        except OSError as error:
            self.skipTest("no pseudo-terminal: %s" % error)
        try:
            proc = subprocess.Popen([XULSTORE, *args], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=slave, env=ENV)
        finally:
            os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        out = proc.stdout.read()
        proc.stdout.close()
        proc.wait(timeout=60)
        os.close(master)
        return proc.returncode, out, b"".join(chunks).decode("utf-8", "replace")

    def assertNoProgress(self, result):
        self.assertNotIn("\r", result.err)
        self.assertNotIn("Reading [", result.err)

    def test_no_progress_bar_on_a_pipe(self):
        self.make_profile()
        result = self.ok(self.run_db("import", PROFILE_JSON))
        self.assertEqual(result.err, "")
        result = self.ok(self.run_profile("migrate"))
        self.assertEqual(result.err, "")
        self.assertNoProgress(result)
        shutil.rmtree(self.profile)
        self.make_profile()
        result = self.ok(self.run_profile("documents"))  # migrates on open
        self.assertNoProgress(result)

    def test_progress_bar_on_a_terminal(self):
        rc, out, err = self.run_with_terminal_stderr("--db", self.db, "import", PROFILE_JSON)
        self.assertEqual(rc, 0, err)
        self.assertIn("Reading [", err)
        self.assertIn("100%", err)
        self.assertNotIn(b"Reading", out)  # stdout has the report only
        self.assertIn(b"action: imported", out)
        self.make_profile()
        rc, out, err = self.run_with_terminal_stderr("--profile", self.profile, "migrate")
        self.assertEqual(rc, 0, err)
        self.assertIn("Reading [", err)
        self.assertIn(b"imported: 8 documents", out)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
