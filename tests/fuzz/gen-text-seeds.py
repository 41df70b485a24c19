#!/usr/bin/env python3
"""Writes the hand-made seeds of fuzz-legacy-reader and fuzz-key-decoder.

Usage: python3 tests/fuzz/gen-text-seeds.py   (from anywhere; writes into
tests/fuzz/corpus/). The legacy reader also gets a copy of every file of data/ (good
and broken samples), named data-<folder>-<file>. Files found by fuzzing (crash
reproducers, merged corpus entries) live beside these and are not touched."""

import pathlib
import shutil

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
READER = HERE / "corpus" / "fuzz-legacy-reader"
KEYS = HERE / "corpus" / "fuzz-key-decoder"


def write(folder, name, data):
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    (folder / name).write_bytes(data)


def reader_seeds():
    for sub in ("samples", "broken", "profile"):
        for path in sorted((ROOT / "data" / sub).glob("*.json")):
            shutil.copyfile(path, READER / f"data-{sub}-{path.name}")

    d = '"chrome://browser/content/browser.xhtml"'
    seeds = {
        # blank and near-blank
        "bom-only": b"\xef\xbb\xbf",
        "bom-space": b"\xef\xbb\xbf \r\n\t",
        "bom-object": b"\xef\xbb\xbf{}",
        "double-bom": b"\xef\xbb\xbf\xef\xbb\xbf{}",
        "crlf-pretty": '{\r\n  %s: {\r\n    "w": {\r\n      "a": "1"\r\n    }\r\n  }\r\n}\r\n' % d,
        "empty-names": '{"":{"":{"":""}}}',
        # numbers and literals as values
        "numbers": '{"d":{"i":{"a":1e400,"b":-1e-400,"c":-0,"d":123456789012345678901234567890,'
                   '"e":0.1,"f":1e21,"g":1e-7,"h":5e-324,"i":1.7976931348623157e308,'
                   '"j":0.000001,"k":-1.5E+3,"l":100e-2,"m":true,"n":false}}}',
        "number-leading-zero": '{"d":{"i":{"a":01}}}',
        "number-dot": '{"d":{"i":{"a":1.}}}',
        "number-exponent": '{"d":{"i":{"a":1e}}}',
        "number-minus": '{"d":{"i":{"a":-}}}',
        "literal-cut": '{"d":{"i":{"a":tru}}}',
        # escapes
        "escapes": '{"d":{"i":{"a":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\\u2028\\uFFFF"}}}',
        "surrogate-pair": '{"d\\ud83d\\ude00":{"\\uD83D\\uDE00":{"a":"\\ud83d\\ude00"}}}',
        "lone-low": '{"d":{"i":{"a":"\\udc00"}}}',
        "high-then-letter": '{"d":{"i":{"a":"\\ud800\\u0041"}}}',
        "high-high-low": '{"d":{"i":{"a":"\\ud800\\ud800\\udc00"}}}',
        "high-at-end": '{"d":{"i":{"a":"\\ud800"}}}',
        "high-cut": '{"d":{"i":{"a":"\\ud800\\u',
        "nul-everywhere": '{"d\\u0000":{"i":{"a":"1"}},"d":{"i\\u0000":{"a":"1"},'
                          '"j":{"a\\u0000":"1","b":"\\u0000"}}}',
        "bad-escape": '{"d":{"i":{"a":"\\x41"}}}',
        "bad-hex": '{"d":{"i":{"a":"\\u12G4"}}}',
        "raw-control": b'{"d":{"i":{"a":"\x01"}}}',
        "raw-del-and-separators": '{"d":{"i":{"a":"\x7f\u2028\u2029\u0085"}}}',
        # raw UTF-8 edge cases
        "utf8-max": b'{"d":{"i":{"a":"\xf4\x8f\xbf\xbf"}}}',
        "utf8-beyond-max": b'{"d":{"i":{"a":"\xf4\x90\x80\x80"}}}',
        "utf8-raw-surrogate": b'{"d":{"i":{"a":"\xed\xa0\x80"}}}',
        "utf8-overlong": b'{"d":{"i":{"a":"\xe0\x80\xaf"}}}',
        "utf8-cut": b'{"d":{"i":{"a":"\xe4\xb8',
        "utf8-outside-string": b'{"d":{"i":{"a":"1"}}}\xc3\xa9',
        # JSON Pointer escaping in reported paths
        "pointer-escapes": '{"a/b~c":{"x~1/y":{"z/~":null}},"~":5}',
        # shapes
        "doc-not-object": '{"d":[1,2,{"x":[]}],"e":"s","f":null,"g":true,"h":1}',
        "id-not-object": '{"d":{"i":[],"j":"s","k":null,"l":false,"m":-1}}',
        "value-not-scalar": '{"d":{"i":{"a":null,"b":[],"c":{},"d":{"x":{"y":[[]]}}}}}',
        "top-array": '[{"d":{"i":{"a":"1"}}}]',
        "top-number": "1",
        "top-null": "null",
        "top-true": "true",
        "top-string": '"x"',
        "top-garbage-after-scalar": "1 2",
        # duplicates: last wins, whole objects
        "dup-doc-then-string": '{"d":{"i":{"a":"1"}},"d":"s"}',
        "dup-attr-then-null": '{"d":{"i":{"a":"1","a":null}}}',
        "dup-id-empty": '{"d":{"i":{"a":"1"},"i":{}}}',
        "dup-nested": '{"d":{"i":{"a":"1","b":"2"},"j":{"a":"3"},"i":{"b":"4","b":"5"}},'
                      '"e":{"i":{"a":"6"}},"d":{"j":{"a":"7"},"j":{"c":"8"}}}',
        "dup-escaped-same": '{"caf\\u00e9":{"i":{"a":"1"}},"caf\u00e9":{"i":{"b":"2"}}}',
        # syntax
        "cut-after-colon": '{"d":',
        "cut-open": "{",
        "cut-in-value": '{"d":{"i":{"a":"d"',
        "extra-brace": '{"d":{"i":{"a":"d"}}}}',
        "comma-only": "{,}",
        "missing-colon": '{"a" "b"}',
        "trailing-comma-doc": '{"d":{},}',
        "unquoted-key": "{d:{}}",
        "single-quoted": "{'d':{}}",
        # depth
        "deep-arrays-in-value": '{"d":{"i":{"a":' + "[" * 70 + "]" * 70 + "}}}",
        "deep-objects-in-value": '{"d":{"i":{"a":' + '{"x":' * 70 + "1" + "}" * 70 + "}}}",
        "deep-arrays-top": "[" * 100,
        "deep-at-limit": '{"d":{"i":{"a":' + "[" * 60 + "]" * 60 + "}}}",
    }
    # limits, in characters: é is 2 bytes, 😀 4
    seeds["value-4096"] = '{"d":{"i":{"a":"%s"}}}' % ("é" * 4096)
    seeds["value-4097-cut"] = '{"d":{"i":{"a":"%s"}}}' % ("😀" * 4097)
    seeds["value-escaped-cut"] = '{"d":{"i":{"a":"%s"}}}' % ("\\u00e9" * 4100)
    seeds["doc-2048"] = '{"%s":{"i":{"a":"1"}}}' % ("d" * 2048)
    seeds["doc-2049"] = '{"%s":{"i":{"a":"1"}}}' % ("d" * 2049)
    seeds["id-512-attr-513"] = '{"d":{"%s":{"%s":"1","b":"2"}}}' % ("i" * 512, "a" * 513)
    seeds["id-513"] = '{"d":{"%s":{"a":"1"}},"e":{"i":{"a":"2"}}}' % ("😀" * 513)
    # Over 256 KiB, the reader reports progress and the importer gives the parsed pages
    # back: line counting must go on across them, and a repeated key (read again from
    # the file) must still work.
    lines = ['  "chrome://big/content/d%04d.xhtml": {"id": {"a": "%s"}}' % (i, "v" * 40)
             for i in range(2750)]
    seeds["big-duplicate"] = ("{\n" + ",\n".join(lines) +
                              ',\n  "chrome://big/content/d0000.xhtml": {"again": {"a": "1"}}\n}\n')
    seeds["big-error-at-end"] = "{\n" + ",\n".join(lines) + ",\n  oops\n}\n"
    for name, data in seeds.items():
        write(READER, f"edge-{name}.json", data)


def key_seeds():
    keys = {
        "tuple": b"chrome://browser/content/browser.xhtml\0main-window\0width",
        "empty-parts": b"\0\0",
        "one-nul": b"doc\0id",
        "three-nuls": b"doc\0id\0attr\0",
        "four-parts": b"a\0b\0c\0d",
        "no-nul": b"document",
        "empty": b"",
        "utf8": "café\0中文\0😀".encode(),
        "invalid-doc": b"d\xff\0id\0attr",
        "invalid-id": b"doc\0\xc0\xaf\0attr",
        "invalid-attr": b"doc\0id\0\xed\xa0\x80",
        "cut-utf8": b"doc\0id\0\xe4\xb8",
        "all-ff": b"\xff\xff\xff\xff",
        "trailing-ff": b"doc\0id\0a\xff\xff",
        "nul-first": b"\0id\0attr",
        "nul-last": b"doc\0id\0",
        "control": b"\x01\0\x1f\0\x7f",
        "max-utf8": b"\xf4\x8f\xbf\xbf\0\xf4\x90\x80\x80\0x",
        "long": b"d" * 8192 + b"\0" + b"i" * 2048 + b"\0" + b"a" * 2048,
        "prefix-doc": b"doc\0",
        "prefix-element": b"doc\0id\0",
    }
    # pairs of the same length: the target also compares the two halves
    pairs = [
        (b"a\0b\0c", b"a\0b\0d"),
        (b"a\0bc\0", b"ab\0c\0"),
        (b"a\x01\0b\0", b"a\0\x01b\0"),
        (b"\xc3\xa9\0\0", b"z\0\0\0"[:4]),
        (b"doc\0id\0x", b"doc\0idx\0"),
        ("é\0a\0b".encode(), "e\0a\0bb".encode()),
        (b"x\0y\0z", b"x\0y\0z"),
    ]
    for i, (a, b) in enumerate(pairs):
        assert len(a) == len(b), (a, b)
        keys[f"pair-{i}"] = a + b
    for name, data in keys.items():
        write(KEYS, f"key-{name}", data)


if __name__ == "__main__":
    reader_seeds()
    key_seeds()
