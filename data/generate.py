#!/usr/bin/env python3
"""Regenerate the sample legacy xulstore.json files in this folder.

Run it from anywhere with `python3 data/generate.py`: it rewrites profile/, samples/,
broken/ and README.md next to itself, checks every file with Python's json module, and
exits non-zero if a check fails. Python 3 standard library only; the output is the same
byte for byte on every run and every machine (no clock, no randomness beyond a fixed
SHA-256 stream, no locale).

The writers below imitate JavaScript's JSON.stringify, because Firefox writes
xulstore.json with JSON.stringify(data) (compact, non-ASCII raw, UTF-8). `Obj` lets a
file hold what a JavaScript object cannot (duplicate keys, verbatim number lexemes).
"""

import hashlib
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

BROWSER = "chrome://browser/content/browser.xhtml"
PLACES = "chrome://browser/content/places/places.xhtml"
SIDEBAR = "chrome://browser/content/places/bookmarksSidebar.xhtml"
PAGEINFO = "chrome://browser/content/pageinfo/pageInfo.xhtml"
DOWNLOADS = "chrome://mozapps/content/downloads/downloads.xhtml"
UNKNOWN_TYPE = "chrome://mozapps/content/downloads/unknownContentType.xhtml"
PERMISSIONS = "chrome://browser/content/preferences/dialogs/permissions.xhtml"
TOOLBOX = "chrome://devtools/content/framework/toolbox-window.xhtml"

MAX_NAME = 512    # ids and attribute names, in characters (XUL_STORE_MAX_NAME_LENGTH)
MAX_VALUE = 4096  # values, in characters (XUL_STORE_MAX_VALUE_LENGTH)


# --------------------------------------------------------------------------------------
# A JSON.stringify look-alike


class Obj:
    """A JSON object written exactly as listed: order kept, duplicate keys allowed."""

    def __init__(self, *pairs):
        self.pairs = list(pairs)


class Raw:
    """A JSON value written verbatim, e.g. the number lexeme 1e3."""

    def __init__(self, text):
        self.text = text


def js_quote(s):
    """QuoteJSONString from ECMAScript (well-formed JSON.stringify)."""
    short = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n",
             "\r": "\\r", "\t": "\\t"}
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch in short:
            out.append(short[ch])
        elif c < 0x20 or 0xD800 <= c <= 0xDFFF:  # controls; lone surrogates
            out.append("\\u%04x" % c)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def is_array_index(key):
    """JavaScript enumerates such keys first, in ascending numeric order."""
    return key.isdigit() and str(int(key)) == key and int(key) < 2**32 - 1


def js_pairs(value):
    if isinstance(value, Obj):
        return value.pairs
    keys = list(value)
    ordered = sorted((k for k in keys if is_array_index(k)), key=int)
    ordered += [k for k in keys if not is_array_index(k)]
    return [(k, value[k]) for k in ordered]


def stringify(value, indent=None, level=0):
    """JSON.stringify(value) or, with indent=2, JSON.stringify(value, null, 2)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, str):
        return js_quote(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return js_number_to_string(float(value))
    if isinstance(value, list):
        items = [stringify(v, indent, level + 1) for v in value]
        if not items:
            return "[]"
        if indent is None:
            return "[" + ",".join(items) + "]"
        pad = " " * (indent * (level + 1))
        return "[\n" + ",\n".join(pad + i for i in items) + "\n" + " " * (indent * level) + "]"
    pairs = js_pairs(value)
    if not pairs:
        return "{}"
    sep = ":" if indent is None else ": "
    items = [js_quote(k) + sep + stringify(v, indent, level + 1) for k, v in pairs]
    if indent is None:
        return "{" + ",".join(items) + "}"
    pad = " " * (indent * (level + 1))
    return "{\n" + ",\n".join(pad + i for i in items) + "\n" + " " * (indent * level) + "}"


def js_number_to_string(x):
    """ECMAScript Number::toString(x): what String(JSON.parse("<number>")) gives."""
    if math.isnan(x):
        return "NaN"
    if x == 0:
        return "0"  # also for -0
    if x < 0:
        return "-" + js_number_to_string(-x)
    if math.isinf(x):
        return "Infinity"
    # repr() gives the shortest digits that round-trip, as ECMAScript asks for.
    mantissa, _, exp = ("%r" % x).partition("e")
    whole, _, frac = mantissa.partition(".")
    all_digits = whole + frac
    point = len(whole) + (int(exp) if exp else 0)   # x = 0.<all_digits> * 10^point
    stripped = all_digits.lstrip("0")
    point -= len(all_digits) - len(stripped)
    digits = stripped.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    if k == 1:
        return digits + "e" + sign + str(abs(e))
    return digits[0] + "." + digits[1:] + "e" + sign + str(abs(e))


# --------------------------------------------------------------------------------------
# Content


def place_id(n):
    return "place:" + hashlib.md5(("folder-%d" % n).encode("ascii")).hexdigest()


def firefox_profile():
    """A desktop profile as a JavaScript object would hold it (insertion order kept)."""
    browser = {
        "main-window": {
            "screenX": "48", "screenY": "27", "width": "1520", "height": "980",
            "sizemode": "normal",
            # Newer Firefox writes this to mean "attribute removed"; to the store it is
            # an ordinary value.
            "gtktiledwindow": "-moz-missing\n",
        },
        "sidebar-box": {
            "sidebarcommand": "viewBookmarksSidebar", "width": "286",
            "style": 'width: 286px; font-family: "Fira Sans", sans-serif;',
            "checked": "true",
            "positionend": "",  # the one empty value
        },
        "sidebar-title": {"value": "Bookmarks"},
        "PersonalToolbar": {"collapsed": "false", "currentset": "import-button,personal-bookmarks"},
        "toolbar-menubar": {"autohide": "true", "currentset": "menubar-items"},
        "nav-bar": {"currentset": ",".join([
            "back-button", "forward-button", "stop-reload-button",
            "customizableui-special-spring1", "urlbar-container",
            "customizableui-special-spring2", "save-to-pocket-button", "downloads-button",
            "fxa-toolbar-menu-button", "unified-extensions-button"])},
        "TabsToolbar": {"currentset": "firefox-view-button,tabbrowser-tabs,new-tab-button,alltabs-button"},
        "urlbar-container": {"width": "742"},
    }
    places = {
        "places": {"screenX": "310", "screenY": "145", "width": "1100", "height": "680",
                   "sizemode": "normal"},
        "placesList": {"width": "215"},
        "placesContentTitle": {"ordinal": "1", "width": "410", "sortDirection": "ascending"},
        "placesContentURL": {"ordinal": "3", "width": "360"},
        "placesContentDate": {"ordinal": "5", "width": "180", "hidden": "false"},
        "placesContentVisitCount": {"ordinal": "7", "hidden": "true"},
        "placesContentTags": {"ordinal": "9", "hidden": "true"},
    }
    for n in range(400):
        places[place_id(n)] = {"open": "true"}
    sidebar = {place_id(n): {"open": "true"} for n in range(0, 24, 2)}
    return {
        BROWSER: browser,
        PLACES: places,
        SIDEBAR: sidebar,
        PAGEINFO: {"main-window": {"screenX": "420", "screenY": "190", "width": "640",
                                   "height": "560", "sizemode": "normal"}},
        DOWNLOADS: {"downloadManager": {"screenX": "-8", "screenY": "-8", "width": "1936",
                                        "height": "1056", "sizemode": "maximized"}},
        UNKNOWN_TYPE: {"unknownContentType": {"screenX": "760", "screenY": "402"}},
        PERMISSIONS: {"PermissionsDialog": {"width": "620", "height": "480"}},
        TOOLBOX: {"toolbox-window": {"screenX": "100", "screenY": "80", "width": "960",
                                     "height": "700", "sizemode": "normal"}},
    }


def small_profile():
    return {
        BROWSER: {
            "main-window": {"screenX": "0", "screenY": "25", "width": "1280", "height": "800",
                            "sizemode": "maximized"},
            "sidebar-box": {"sidebarcommand": "viewHistorySidebar", "width": "250",
                            "style": "width: 250px;", "checked": "true"},
            "sidebar-title": {"value": "History"},
            "PersonalToolbar": {"collapsed": "true"},
        },
        PLACES: {
            "places": {"width": "900", "height": "600"},
            place_id(1000): {"open": "true"},
            place_id(1001): {"open": "true"},
        },
        PAGEINFO: {"main-window": {"width": "600", "height": "500"}},
    }


# Number lexemes another tool may write, with the string Firefox's JavaScript gives them.
NUMBER_LEXEMES = ["1280", "800", "-8", "1.5", "1e3", "12345678901234567890", "0.000001",
                  "1e-7", "-0", "0", "1.0", "2.50", "1E+2"]


def third_party_numbers():
    n = Raw
    return Obj(
        (BROWSER, Obj(
            ("main-window", Obj(("width", n("1280")), ("height", n("800")),
                                ("screenX", n("-8")), ("screenY", n("-8")),
                                ("sizemode", "maximized"))),
            ("sidebar-box", Obj(("width", n("1e3")), ("checked", True),
                                ("sidebarcommand", "viewBookmarksSidebar"))),
            ("PersonalToolbar", Obj(("collapsed", False))),
            ("urlbar-container", Obj(("width", n("1.0")), ("zoom", n("1.5")))),
        )),
        (PLACES, Obj(
            ("places", Obj(("width", n("2.50")), ("height", n("1E+2")))),
            ("placesContentDate", Obj(("ordinal", n("0")), ("width", n("-0")))),
            ("placesContentTitle", Obj(("lastModified", n("12345678901234567890")))),
            ("placesContentURL", Obj(("tiny", n("0.000001")), ("tinier", n("1e-7")),
                                     ("ordinal", "3"))),
        )),
    )


def unicode_sample():
    """Written by hand: raw UTF-8 next to escaped forms of the same characters."""
    return (
        '{\n'
        '  "chrome://browser/content/browser.xhtml": {\n'
        '    "main-window": {\n'
        '      "title-raw": "Café — 中文 😀",\n'
        '      "title-escaped": "Caf\\u00e9 \\u2014 \\u4e2d\\u6587 \\ud83d\\ude00",\n'
        '      "title-upper-hex": "Caf\\u00E9 \\u2014 \\u4E2D\\u6587 \\uD83D\\uDE00",\n'
        '      "rtl-hebrew": "שלום עולם",\n'
        '      "rtl-arabic": "مرحبا بالعالم",\n'
        '      "bidi-mixed": "abc \\u202eRTL override\\u202c def",\n'
        '      "controls": "line1\\nline2\\ttab\\u0001soh\\r\\b\\f",\n'
        '      "quotes": "say \\"hi\\" to C:\\\\Users\\\\me",\n'
        '      "solidus": "a\\/b/c",\n'
        '      "line-separators-raw": "a\u2028b\u2029c",\n'
        '      "del-and-c1-raw": "x\u007fy\u0085z",\n'
        '      "noncharacter": "\\uffff\\ufdd0"\n'
        '    },\n'
        '    "élément-été": {\n'
        '      "attr-中文": "值",\n'
        '      "😀": "😀"\n'
        '    },\n'
        '    "\\u00e9l\\u00e9ment-\\u00e9t\\u00e9-escaped": {\n'
        '      "attr-\\u4e2d\\u6587": "\\u503c"\n'
        '    },\n'
        '    "caf\\u00e9": {\n'
        '      "form": "NFC: U+00E9"\n'
        '    },\n'
        '    "cafe\\u0301": {\n'
        '      "form": "NFD: e + U+0301; a different id, never merged with the NFC one"\n'
        '    },\n'
        '    "": {\n'
        '      "width": "100"\n'
        '    }\n'
        '  },\n'
        '  "": {\n'
        '    "": {\n'
        '      "": "empty document, id and attribute"\n'
        '    },\n'
        '    "toolbar": {\n'
        '      "collapsed": "true"\n'
        '    }\n'
        '  },\n'
        '  "chrome://app/content/中文/窗口.xhtml": {\n'
        '    "窗口": {\n'
        '      "width": "800"\n'
        '    }\n'
        '  }\n'
        '}\n'
    )


def skipped_entries():
    return Obj(
        (BROWSER, Obj(
            ("main-window", Obj(
                ("width", "1280"),
                ("height", None),
                ("screenX", [1, 2]),
                ("screenY", Obj(("x", "y"))),
                ("sizemode", "normal"),
            )),
            ("sidebar-box", Raw("42")),
            ("PersonalToolbar", Obj(("collapsed", "false"))),
        )),
        (PLACES, "not an object"),
        (PAGEINFO, Obj(("main-window", Obj(("width", "600"), ("height", "500"))))),
    )


def mixed(prefix, length, cycle="abcdé"):
    """`length` characters: prefix, then `cycle` repeated (é is 2 bytes in UTF-8)."""
    s = prefix
    i = 0
    while len(s) < length:
        s += cycle[i % len(cycle)]
        i += 1
    assert len(s) == length
    return s


ID_513 = mixed("id-513-", 513)
ID_512 = mixed("id-512-", 512)
ATTR_600 = mixed("attr-600-", 600)
ATTR_512 = mixed("attr-512-", 512)
VALUE_5000 = mixed("value-5000-", 5000)
VALUE_4096 = mixed("value-4096-", 4096)
ID_EMOJI = "😀" * 257          # 257 characters, 514 UTF-16 code units, 1028 bytes
VALUE_EMOJI = "😀" * 2049      # 2049 characters, 4098 UTF-16 code units


def over_limits():
    return Obj(
        (BROWSER, Obj(
            ("main-window", Obj(("width", "1280"), ("height", "800"))),
            (ID_513, Obj(("width", "1"))),
            (ID_512, Obj(("width", "2"))),
            ("sidebar-box", Obj((ATTR_600, "x"), (ATTR_512, "y"), ("width", "200"))),
            ("urlbar-container", Obj(("value-5000", VALUE_5000), ("value-4096", VALUE_4096),
                                     ("width", "700"))),
            (ID_EMOJI, Obj(("value-emoji", VALUE_EMOJI))),
        )),
        (PAGEINFO, Obj(("main-window", Obj(("width", "600"))))),
    )


def duplicate_keys():
    return Obj(
        (BROWSER, Obj(
            ("main-window", Obj(("width", "1024"), ("height", "768"), ("width", "1280"))),
            ("sidebar-box", Obj(("width", "200"), ("checked", "true"),
                                ("sidebarcommand", "viewBookmarksSidebar"))),
            ("PersonalToolbar", Obj(("collapsed", "true"))),
            ("sidebar-box", Obj(("width", "300"))),
            ("caf\u00e9", Obj(("spelled", "escaped"))),  # written as caf\\u00e9
            ("café", Obj(("spelled", "raw"))),
        )),
        ("chrome://app/content/dup-doc.xhtml", Obj(("first", Obj(("a", "1"))))),
        (PAGEINFO, Obj(("main-window", Obj(("width", "600"))))),
        ("chrome://app/content/dup-doc.xhtml", Obj(("second", Obj(("b", "2"))))),
    )


# --------------------------------------------------------------------------------------
# The reference import: what an importer is expected to keep and skip


def js_string(v):
    """String(v) in JavaScript, for the JSON scalars a third-party file may hold."""
    if v is True:
        return "true"
    if v is False:
        return "false"
    return js_number_to_string(float(v))


def bad_string(s):
    """Why s cannot be stored, or None."""
    if "\0" in s:
        return "contains U+0000"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in s):
        return "contains a lone surrogate"
    return None


def reference_import(data):
    """(records, skipped): records as (doc, id, attr, value); skipped as (path, reason)."""
    records, skipped = [], []
    if not isinstance(data, dict):
        raise ValueError("BAD_SHAPE: top level is not an object")
    for doc, ids in data.items():
        if not isinstance(ids, dict):
            skipped.append(((doc,), "document is %s, not an object" % kind(ids)))
            continue
        for id_, attrs in ids.items():
            if not isinstance(attrs, dict):
                skipped.append(((doc, id_), "id is %s, not an object" % kind(attrs)))
                continue
            for attr, value in attrs.items():
                path = (doc, id_, attr)
                if isinstance(value, bool) or isinstance(value, (int, float)):
                    value = js_string(value)
                if not isinstance(value, str):
                    skipped.append((path, "value is %s" % kind(value)))
                    continue
                why = bad_string(doc) or bad_string(id_) or bad_string(attr) or bad_string(value)
                if why:
                    skipped.append((path, why))
                elif len(id_) > MAX_NAME:
                    skipped.append((path, "id is %d characters (max %d)" % (len(id_), MAX_NAME)))
                elif len(attr) > MAX_NAME:
                    skipped.append((path, "attribute is %d characters (max %d)" % (len(attr), MAX_NAME)))
                elif len(value) > MAX_VALUE:
                    skipped.append((path, "value is %d characters (max %d)" % (len(value), MAX_VALUE)))
                else:
                    records.append((doc, id_, attr, value))
    return records, skipped


def kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    return "an object"


def strict_loads(raw):
    """json.loads as JavaScript's JSON.parse sees JSON: no NaN/Infinity."""
    def no_constant(name):
        raise ValueError("%s is not JSON" % name)
    return json.loads(raw, parse_constant=no_constant)


# --------------------------------------------------------------------------------------
# Broken files and where their first error is


def position(data, offset):
    """(line, column): line = 1 + newlines before offset, column = 1 + bytes since."""
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def garbage(size):
    out = b""
    i = 0
    while len(out) < size:
        out += hashlib.sha256(b"xulstore-binary-garbage-%d" % i).digest()
        i += 1
    return out[:size]


def first_invalid_utf8(data):
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError as e:
        return e.start


def broken_files():
    """[(name, bytes, error offset, kind, what, note)]."""
    files = []

    def add(name, data, offset, kind_, what, note=""):
        files.append((name, data, offset, kind_, what, note))

    data = ('{\n'
            '  "%s": {\n'
            '    "main-window" {\n'
            '      "width": "1280"\n'
            '    }\n'
            '  }\n'
            '}\n' % BROWSER).encode()
    add("syntax-missing-colon.json", data, data.index(b'" {') + 2, "SYNTAX",
        "the `:` after the id `\"main-window\"` is missing; the offending byte is the `{`")

    data = ('{"%s":{"main-window":{"width":"1280","height":"800}}}' % BROWSER).encode()
    opening = data.rindex(b'"800')
    add("syntax-unterminated-string.json", data, len(data), "SYNTAX",
        "the string `\"800}}}` has no closing quote and runs to the end of the file "
        "(no newline at the end, so no control character gets in the way)",
        "the offending position is end of input (offset = file size); many parsers "
        "report the opening quote instead: offset %d, line %d, column %d"
        % ((opening,) + position(data, opening)))

    data = ('{\n'
            '  "%s": {\n'
            '    "main-window": {\n'
            '      "width": "1280",\n'
            '      "height": "800",\n'
            '    }\n'
            '  }\n'
            '}\n' % BROWSER).encode()
    add("syntax-trailing-comma.json", data, data.index(b",\n    }") + 6, "SYNTAX",
        "a comma after the last attribute; the offending byte is the `}` that follows it",
        "Python 3.13+ reports the comma itself (line 5, column 22)")

    full = stringify(firefox_profile()).encode()
    # Cut near the middle, just after a colon: the end of input comes where a value is
    # due, outside any string (unlike syntax-unterminated-string.json).
    cut = full.index(b'{"open":', len(full) // 2) + len(b'{"open":')
    data = full[:cut]
    add("truncated.json", data, len(data), "SYNTAX",
        "profile/xulstore.json cut off after %d of its %d bytes (a torn, non-atomic "
        "write), right after `%s`, where a value is due" % (
            cut, len(full), full[cut - 24:cut].decode()),
        "end of input: offset = file size")

    data = ('{"%s":{"main-window":{"width":"1280"}}}xyz' % BROWSER).encode()
    add("trailing-garbage.json", data, data.index(b"xyz"), "SYNTAX",
        "a complete, valid object followed by `xyz`",
        "a parser that stops after the first value would accept it: it must not")

    data = (('{"%s":{"main-window":{"title":"Café ' % BROWSER).encode()
            + b"\xff and \xc0\xaf" + b'","width":"1280"}}}')
    add("invalid-utf8.json", data, data.index(b"\xff"), "INVALID_UTF8",
        "a raw 0xFF byte, then the overlong encoding C0 AF of `/`, inside a string value; "
        "`é` before them is 2 bytes, so the byte column is one more than the character "
        "column", "the overlong C0 AF is at offset %d" % data.index(b"\xc0"))

    data = ('{"%s":{"main-window":{"width":"1280"},'
            '"main-window\\u0000evil":{"width":"9999"}}}' % BROWSER).encode()
    add("nul-in-key.json", data, data.index(b"\\u0000"), "BAD_SHAPE (entry)",
        "valid JSON: the id `main-window\\u0000evil` holds U+0000, which a C string "
        "cannot carry; cut at the NUL it would become `main-window` and overwrite its "
        "width with 9999",
        "offset of the backslash of `\\u0000`. Non-strict: import main-window/width=1280, "
        "skip and report the other id; strict: refuse. Never truncate at the NUL")

    data = ('{"%s":{"main-window":{"width":"1280","title":"bad \\ud800 surrogate"}}}'
            % BROWSER).encode()
    add("lone-surrogate.json", data, data.index(b"\\ud800"), "INVALID_UTF8 (entry)",
        "valid JSON: `\\ud800` is a high surrogate with no low surrogate after it; no "
        "UTF-8 string can hold it",
        "offset of the backslash of `\\ud800`. Non-strict: import main-window/width=1280, "
        "skip and report main-window/title; strict: refuse. Never store CESU-8 "
        "(ED A0 80) or replace with U+FFFD silently")

    depth = 20000
    prefix = ('{"%s":{"main-window":{"width":' % BROWSER).encode()
    data = prefix + b"[" * depth + b"]" * depth + b"}}}"
    add("deep-nesting.json", data, len(prefix), "BAD_SHAPE or NESTING",
        "well-formed JSON, but the value of main-window/width is %d nested arrays" % depth,
        "offset given: the first `[`, at depth 4, where a shape-aware parser stops (the "
        "shape allows 3 levels). A parser with a generic depth limit D (top-level "
        "object = depth 1) stops at offset %d + D - 3 (NESTING); either way it must not "
        "recurse 20000 deep" % len(prefix))

    data = ('[{"%s":{"main-window":{"width":"1280"}}}]' % BROWSER).encode()
    add("not-an-object.json", data, 0, "BAD_SHAPE",
        "the top level is an array holding a valid profile object")

    data = b'"hello"'
    add("top-level-string.json", data, 0, "BAD_SHAPE", "the top level is the string \"hello\"")

    data = garbage(4096)
    bad = first_invalid_utf8(data)
    add("binary-garbage.json", data, 0, "SYNTAX or INVALID_UTF8",
        "4096 pseudo-random bytes (SHA-256 of \"xulstore-binary-garbage-<n>\", n = 0, 1, "
        "...); first byte 0x%02X" % data[0],
        "byte 0 is neither JSON whitespace nor `{` (SYNTAX there); the first invalid "
        "UTF-8 is at offset %s, so an importer that validates UTF-8 first reports "
        "INVALID_UTF8 at line %d, column %d" % ((bad,) + position(data, bad)))

    data = ("{\n"
            "  '%s': {\n"
            "    'main-window': {\n"
            "      'width': '1280'\n"
            "    }\n"
            "  }\n"
            "}\n" % BROWSER).encode()
    add("single-quotes.json", data, data.index(b"'"), "SYNTAX",
        "JavaScript-object style with single-quoted strings")

    data = ('{\n'
            '  // window geometry, edited by hand\n'
            '  "%s": {\n'
            '    "main-window": {\n'
            '      "width": "1280" /* was 1024 */\n'
            '    }\n'
            '  }\n'
            '}\n' % BROWSER).encode()
    add("comments.json", data, data.index(b"//"), "SYNTAX",
        "a `//` line comment (and later a `/* */` one); JSON has no comments")

    data = ('{\n'
            '  "%s": {\n'
            '    "main-window": {\n'
            '      "width": NaN,\n'
            '      "height": "800"\n'
            '    }\n'
            '  }\n'
            '}\n' % BROWSER).encode()
    add("nan.json", data, data.index(b"NaN"), "SYNTAX",
        "an unquoted NaN as a value",
        "Python's json accepts NaN, Infinity and -Infinity by default; JSON.parse does not")

    return files


# --------------------------------------------------------------------------------------
# Writing and checking


def write(rel, data):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    assert len(data) < 200 * 1024, rel


def utf8(text):
    return text.encode("utf-8")


def main():
    problems = []

    def check(cond, message):
        if not cond:
            problems.append(message)

    valid = {}  # rel -> (bytes, what, expectation)

    profile = firefox_profile()
    valid["profile/xulstore.json"] = (
        utf8(stringify(profile)),
        "a realistic desktop profile exactly as Firefox writes it: JSON.stringify(data) "
        "(one line, compact, no newline at the end); 8 documents, 412 `place:<md5>` ids, "
        "`-moz-missing\\n`, an empty value, a `style` with quotes and semicolons")
    valid["samples/pretty.json"] = (
        utf8(stringify(small_profile(), indent=2) + "\n"),
        "a small profile as JSON.stringify(data, null, 2) plus a newline")
    valid["samples/third-party-numbers.json"] = (
        utf8(stringify(third_party_numbers(), indent=2) + "\n"),
        "written by another tool: JSON numbers and booleans instead of strings "
        "(see the table below for the strings they become)")
    valid["samples/unicode.json"] = (
        utf8(unicode_sample()),
        "non-ASCII ids, attributes and values (é, 中文, 😀, Hebrew, Arabic), the same "
        "text escaped (`\\u00e9`, `\\ud83d\\ude00`, upper-case hex), escaped controls, "
        "quotes and backslashes, `\\/`, raw U+2028/U+2029/U+007F/U+0085, noncharacters, "
        "NFC and NFD `café` as two ids, the empty document `\"\"` and the empty id `\"\"`")
    valid["samples/bom.json"] = (
        b"\xef\xbb\xbf" + utf8(stringify({BROWSER: {"main-window": {"width": "1280",
                                                                    "height": "800"}}})),
        "a small compact file starting with a UTF-8 byte-order mark (EF BB BF)")
    valid["samples/empty.json"] = (b"", "zero bytes")
    valid["samples/whitespace-only.json"] = (b"  \n\t\r\n\n   \n", "spaces, tabs, CR and LF only")
    valid["samples/empty-object.json"] = (b"{}", "`{}`, as Firefox writes an empty store")
    valid["samples/skipped-entries.json"] = (
        utf8(stringify(skipped_entries(), indent=2) + "\n"),
        "valid JSON with a null value, an array value, an object value, a document that is "
        "a string and an id that is a number, among valid entries")
    valid["samples/over-limits.json"] = (
        utf8(stringify(over_limits(), indent=2) + "\n"),
        "an id of 513 characters, an attribute of 600, a value of 5000 (é mixed in, so "
        "bytes > characters), the same at exactly the limits (512, 512, 4096), and an id "
        "of 257 😀 with a value of 2049 😀 (within the limits in characters, over them "
        "in UTF-16 code units)")
    valid["samples/duplicate-keys.json"] = (
        utf8(stringify(duplicate_keys(), indent=2) + "\n"),
        "an attribute twice in one id, an id twice in one document, a document twice, and "
        "`café` / `caf\\u00e9` (one key spelled two ways)")

    # duplicate-keys.json spells `café` escaped the first time: JSON.stringify cannot.
    data, *rest = valid["samples/duplicate-keys.json"]
    data = data.replace('"café": {'.encode(), b'"caf\\u00e9": {', 1)
    valid["samples/duplicate-keys.json"] = (data, *rest)

    for rel, (data, *_rest) in valid.items():
        write(rel, data)

    # ---- checks on the valid files
    results = {}
    for rel, (data, *_rest) in valid.items():
        try:
            parsed = strict_loads(data)  # bytes: json detects UTF-8 and accepts a BOM
        except (ValueError, RecursionError) as e:
            results[rel] = ("no-data" if not data.strip() else "error", e)
            continue
        results[rel] = ("ok", parsed)

    check(results["samples/empty.json"][0] == "no-data", "empty.json should not parse")
    check(results["samples/whitespace-only.json"][0] == "no-data",
          "whitespace-only.json should not parse")
    for rel, (status, parsed) in results.items():
        if rel in ("samples/empty.json", "samples/whitespace-only.json"):
            continue
        check(status == "ok", "%s does not parse: %s" % (rel, parsed))

    raw = valid["profile/xulstore.json"][0]
    check(json.loads(raw) == profile, "profile does not round-trip")
    check(stringify(json.loads(raw)).encode() == raw, "profile is not in JSON.stringify form")
    check(b"\n" not in raw and raw.endswith(b"}"), "profile must be one line, no newline")
    check(raw.decode().count("place:") == 412, "profile place: ids")
    pretty = valid["samples/pretty.json"][0]
    check(pretty.decode() == json.dumps(small_profile(), indent=2, ensure_ascii=False) + "\n",
          "pretty.json differs from json.dumps(indent=2)")
    check(valid["samples/bom.json"][0].startswith(b"\xef\xbb\xbf"), "bom.json has no BOM")
    try:
        json.loads(valid["samples/bom.json"][0].decode("utf-8"))
        check(False, "json.loads(str) should refuse a BOM")
    except json.JSONDecodeError:
        pass
    uni = results["samples/unicode.json"][1]
    check(uni[BROWSER]["main-window"]["title-raw"] == uni[BROWSER]["main-window"]["title-escaped"]
          == uni[BROWSER]["main-window"]["title-upper-hex"], "unicode escapes differ")
    check("caf\u00e9" in uni[BROWSER] and "cafe\u0301" in uni[BROWSER], "NFC/NFD ids")
    check(uni[""][""][""] == "empty document, id and attribute", "empty keys")
    dup = results["samples/duplicate-keys.json"][1]
    check(dup[BROWSER]["main-window"] == {"width": "1280", "height": "768"}, "dup attr")
    check(dup[BROWSER]["sidebar-box"] == {"width": "300"}, "dup id")
    check(dup[BROWSER]["caf\u00e9"] == {"spelled": "raw"}, "dup spelled two ways")
    check(dup["chrome://app/content/dup-doc.xhtml"] == {"second": {"b": "2"}}, "dup doc")
    dup_text = valid["samples/duplicate-keys.json"][0].decode()
    check('"caf\\u00e9": {' in dup_text and '"café": {' in dup_text, "dup spellings")
    for s, chars in ((ID_513, 513), (ID_512, 512), (ATTR_600, 600), (ATTR_512, 512),
                     (VALUE_5000, 5000), (VALUE_4096, 4096)):
        check(len(s) == chars and len(s.encode()) > chars, "over-limits lengths")
    check(len(ID_EMOJI.encode("utf-16-le")) // 2 == 514, "emoji id UTF-16 length")

    imports = {}
    for rel, (status, parsed) in results.items():
        if status == "ok":
            imports[rel] = reference_import(parsed)

    # ---- broken files
    broken = broken_files()
    broken_rows = []
    for name, data, offset, kind_, what, note in broken:
        rel = "broken/" + name
        write(rel, data)
        line, column = position(data, offset)
        try:
            parsed = strict_loads(data)
            outcome = ("parses", parsed)
        except RecursionError:
            outcome = ("RecursionError", None)
        except UnicodeDecodeError as e:
            outcome = ("UnicodeDecodeError at byte %d" % e.start, e.start)
        except json.JSONDecodeError as e:
            outcome = ("JSONDecodeError: %s" % e.msg, e.pos)
        except ValueError as e:
            outcome = ("ValueError: %s" % e, None)
        if name in ("nul-in-key.json", "lone-surrogate.json"):
            check(outcome[0] == "parses", "%s should parse in Python" % name)
            if outcome[0] == "parses":
                recs, skips = reference_import(outcome[1])
                check(len(recs) == 1 and len(skips) == 1, "%s: one kept, one skipped" % name)
        elif kind_ == "BAD_SHAPE":
            check(outcome[0] == "parses", "%s should parse in Python" % name)
            try:
                reference_import(outcome[1])
                check(False, "%s should be refused for its shape" % name)
            except ValueError:
                outcome = ("parses; not an object at the top", None)
        else:
            check(outcome[0] != "parses", "%s should not parse" % name)
        if name == "deep-nesting.json":
            check(outcome[0] == "RecursionError", "deep nesting: expected RecursionError")
            check(len(data) < 100 * 1024, "deep-nesting.json too large")
        if name == "invalid-utf8.json":
            check(outcome[1] == offset, "invalid-utf8: Python disagrees on the offset")
        python_pos = outcome[1] if isinstance(outcome[1], int) else None
        # Python positions count characters; they equal bytes in these ASCII files.
        agrees = python_pos == offset
        broken_rows.append((rel, data, offset, line, column, kind_, what, note, outcome[0],
                            python_pos, agrees))
    check(position(broken[0][1], broken[0][2]) == (3, 19), "missing colon at 3:19")

    write("README.md", utf8(readme(valid, results, imports, broken_rows)))

    if problems:
        for p in problems:
            print("FAIL:", p, file=sys.stderr)
        return 1
    total = sum(os.path.getsize(os.path.join(HERE, r)) for r in
                list(valid) + [r[0] for r in broken_rows])
    print("wrote %d sample files (%d bytes) and README.md; all checks passed"
          % (len(valid) + len(broken_rows), total))
    return 0


# --------------------------------------------------------------------------------------
# README


def md(text):
    return text.replace("|", "\\|")


def short(s, limit=60):
    r = json.dumps(s, ensure_ascii=False)
    if len(s) > limit:
        r = json.dumps(s[:limit], ensure_ascii=False)[:-1] + "…\" (%d characters)" % len(s)
    return r


def readme(valid, results, imports, broken_rows):
    out = []
    w = out.append
    w("# Sample legacy `xulstore.json` files\n")
    w("Test data for the legacy import (`migrate/`). **Generated**: edit `generate.py` and "
      "run `python3 data/generate.py`, never the files by hand. The script needs only "
      "the Python 3 standard library, writes the same bytes on every run, and checks "
      "each file with Python's `json` module before it finishes.\n")
    w("Legacy format: `{\"<document>\": {\"<id>\": {\"<attribute>\": \"<value>\"}}}`, "
      "exactly three levels of objects with string leaves, UTF-8, as Firefox writes it "
      "with `JSON.stringify` (compact, non-ASCII raw). See "
      "`shared/reference/xulstore-semantics.md`.\n")
    w("## Outcomes\n")
    w("- **import**: every record is imported; nothing is reported.")
    w("- **import, skips reported**: valid records are imported; each skipped entry is "
      "reported with its path (a strict import refuses the whole file instead).")
    w("- **no data**: nothing to import and not an error (Firefox starts empty); the file "
      "must be left as it is.")
    w("- **refuse KIND**: nothing is imported, the error names its kind and position, and "
      "the file is left as it is (never deleted, truncated or overwritten). Kinds: "
      "`SYNTAX` (not JSON), `INVALID_UTF8` (bytes or escapes that are not UTF-8 text), "
      "`BAD_SHAPE` (JSON, but not three levels of objects), `TOO_LARGE`/`NESTING` "
      "(over a size or depth limit).\n")
    w("Limits used below, those of the store (`xulstore/xul-store.h`): ids and attribute "
      "names at most %d characters, values at most %d, counted in Unicode characters "
      "(code points), not bytes. Numbers and booleans are imported as the string "
      "JavaScript's `String(v)` gives (table below); `null`, arrays and objects "
      "as values are skipped.\n" % (MAX_NAME, MAX_VALUE))

    w("## Importable files\n")
    w("| file | bytes | what it exercises | expected import |")
    w("| --- | ---: | --- | --- |")
    for rel, (data, what, *_r) in valid.items():
        status, parsed = results[rel]
        if status != "ok":
            outcome = "**no data** (0 records). `JSON.parse` and Python's `json` both " \
                      "throw on it (no value); the importer must treat it as an empty " \
                      "store, not as an error"
        else:
            recs, skips = imports[rel]
            if skips:
                outcome = "**import, skips reported**: %d records, %d skipped" % (
                    len(recs), len(skips))
            else:
                outcome = "**import**: %d records" % len(recs)
            if rel == "samples/bom.json":
                outcome += "; the BOM is dropped, never part of the first key"
            if rel == "samples/duplicate-keys.json":
                outcome += "; last occurrence wins, see below"
            if rel == "samples/third-party-numbers.json":
                outcome += " (numbers and booleans become strings)"
        w("| `%s` | %d | %s | %s |" % (rel, len(data), md(what), md(outcome)))
    w("")

    w("### Skipped entries, file by file\n")
    w("Paths are `document / id / attribute`; long names are shortened.\n")
    for rel, (recs, skips) in imports.items():
        if not skips:
            continue
        w("`%s`:\n" % rel)
        for path, reason in skips:
            w("- %s: %s" % (" / ".join(md(short(p)) for p in path), md(reason)))
        w("")
    w("In `samples/over-limits.json` these are imported: the id of exactly 512 "
      "characters (%d bytes), the attribute of exactly 512 (%d bytes), the value of "
      "exactly 4096 (%d bytes), and the id of 257 😀 with its value of 2049 😀. "
      "Firefox's JavaScript counted UTF-16 code units, so it refused that id (514 units) "
      "and cut that value to 4096 units; this store counts characters. Firefox also "
      "cut a value over 4096 down to 4096 with a warning where this store refuses it "
      "(`XUL_STORE_ERROR_TOO_LONG`); an importer may truncate instead, as long as it "
      "reports it.\n" % (len(ID_512.encode()), len(ATTR_512.encode()),
                         len(VALUE_4096.encode())))

    w("### `samples/duplicate-keys.json`\n")
    w("Both `JSON.parse` and Python's `json` keep the **last** occurrence of a key, and "
      "the key keeps the position of its first occurrence. Expected after import:\n")
    w("- `main-window`: `width` = `\"1280\"` (the later one), `height` = `\"768\"`.")
    w("- `sidebar-box`: only `width` = `\"300\"`; `checked` and `sidebarcommand` from the "
      "first `sidebar-box` are gone (replaced as a whole object, not merged). An "
      "importer that streams records as it parses gets this wrong.")
    w("- `caf\\u00e9` and `café` are one key: `spelled` = `\"raw\"`.")
    w("- `chrome://app/content/dup-doc.xhtml`: only id `second`; `first` is gone.\n")

    w("### `samples/third-party-numbers.json`: numbers and booleans\n")
    w("The string expected for each lexeme is `String(JSON.parse(lexeme))`, what "
      "Firefox's JavaScript served. Python's `str()` often differs; the last column "
      "tells whether copying the lexeme verbatim would give the expected string. Firefox's `getValue` returned "
      "`attrs[attr] || \"\"`, so it answered `\"\"` for `0`, `-0` and `false` while "
      "`hasValue` said true: the store should keep `\"0\"` and `\"false\"`.\n")
    w("| lexeme | expected string (JavaScript `String`) | Python `str(json.loads(...))` | same as lexeme? |")
    w("| --- | --- | --- | --- |")
    for lexeme in NUMBER_LEXEMES + ["true", "false"]:
        value = json.loads(lexeme)
        expected = js_string(value)
        w("| `%s` | `\"%s\"` | `%s` | %s |" % (lexeme, expected, str(value),
                                               "yes" if expected == lexeme else "no"))
    w("")

    w("## Files an importer must refuse (`broken/`)\n")
    w("Position convention: the **offset** is the byte offset (from 0) of the first "
      "offending byte, i.e. the first byte at which no valid continuation exists; "
      "whitespace a parser may skip is never offending. For an error at end of input "
      "the offset is the file size. **line** = 1 + number of `\\n` bytes before the "
      "offset; **column** = 1 + number of bytes between the last `\\n` before it (or the "
      "start of the file) and the offset. Columns count bytes, not characters.\n")
    w("| file | bytes | problem | expected | offset | line | column | notes |")
    w("| --- | ---: | --- | --- | ---: | ---: | ---: | --- |")
    for (rel, data, offset, line, column, kind_, what, note, outcome, python_pos,
         agrees) in broken_rows:
        if kind_.endswith("(entry)"):
            expected = "valid JSON: skip the entry and report it (**%s**), or refuse " \
                       "in strict mode" % kind_[:-8]
        else:
            expected = "refuse **%s**" % kind_
        w("| `%s` | %d | %s | %s | %d | %d | %d | %s |" % (
            rel, len(data), md(what), md(expected), offset, line, column, md(note)))
    w("")

    w("## Python's `json` and JavaScript's `JSON.parse`\n")
    w("`generate.py` reads every file with `json.loads(bytes)` and "
      "`parse_constant` set to refuse `NaN`/`Infinity` (to behave as `JSON.parse`). "
      "Where the two disagree:\n")
    w("- `broken/nan.json`: Python accepts `NaN`, `Infinity` and `-Infinity` by default; "
      "`JSON.parse` throws.")
    w("- `samples/bom.json`: `json.loads(bytes)` detects `utf-8-sig` and accepts the BOM; "
      "`json.loads(str)` throws \"Unexpected UTF-8 BOM\"; `JSON.parse` throws on a "
      "leading U+FEFF (not JSON whitespace). Whether Firefox stripped it while decoding "
      "the file is not established here; the importer accepts the BOM (RFC 8259 "
      "allows ignoring it).")
    w("- `broken/deep-nesting.json`: Python raises `RecursionError` (not a "
      "`JSONDecodeError`); `JSON.parse` in Node (V8) parses it, so the refusal "
      "comes from the shape (or a depth limit).")
    w("- `broken/nul-in-key.json` and `broken/lone-surrogate.json` are valid JSON for "
      "both; the problem appears only when the strings become UTF-8 C strings.")
    w("- `broken/invalid-utf8.json`: Python's strict UTF-8 decoding fails at byte %d. "
      "In JavaScript the bytes are decoded before `JSON.parse` sees them; a lenient "
      "decoder (`TextDecoder`'s default, Node's `Buffer.toString`) turns them into "
      "U+FFFD and `JSON.parse` then succeeds with altered data. The importer refuses." %
      [r for r in broken_rows if r[0].endswith("invalid-utf8.json")][0][2])
    w("- Numbers: see the table above (`1e3`, `-0`, `1e-7`, `12345678901234567890`, "
      "`true`...).")
    w("- Error positions: Python reports characters, not bytes (equal in these files "
      "except where non-ASCII bytes precede the error), and reports the opening quote "
      "of an unterminated string.\n")
    w("Checked once by hand with Node 20 (V8), not by `generate.py`: every importable "
      "file gives the same objects as in Python (key order included); "
      "`profile/xulstore.json` and `samples/pretty.json` are byte for byte "
      "`JSON.stringify(JSON.parse(text))` and `JSON.stringify(..., null, 2) + \"\\n\"`; "
      "`JSON.parse` reports the offsets of the table above for the missing colon (66), "
      "the unterminated string (89, end of input), the trailing comma (119), the "
      "trailing garbage (75), single quotes (4) and comments (4); `new TextDecoder()` "
      "drops a leading BOM by default, after which `bom.json` parses; the numbers table "
      "matches `String()`.\n")
    w("Python's own verdict on each broken file, as `generate.py` saw it:\n")
    w("| file | Python `json.loads(bytes)` | Python position | equals offset? |")
    w("| --- | --- | ---: | --- |")
    for (rel, data, offset, line, column, kind_, what, note, outcome, python_pos,
         agrees) in broken_rows:
        w("| `%s` | %s | %s | %s |" % (rel, md(outcome),
                                       "" if python_pos is None else python_pos,
                                       "" if python_pos is None else ("yes" if agrees else "no")))
    w("")
    w("## Other files\n")
    w("| file | what it is |")
    w("| --- | --- |")
    w("| `generate.py` | writes every file here, this README included, and checks them |")
    w("| `README.md` | this table |")
    w("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
