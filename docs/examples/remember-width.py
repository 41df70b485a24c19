#!/usr/bin/python3
"""remember-width.py: remember a window's width across runs with XulStore.

Usage: remember-width.py STORE [NEW-WIDTH]
"""
import sys

import gi

gi.require_version("Xul", "1.0")
from gi.repository import GLib, Xul  # noqa: E402

DOC = "app://example/main.ui"


def main(argv):
    if len(argv) < 2:
        print(f"usage: {argv[0]} STORE [NEW-WIDTH]", file=sys.stderr)
        return 2
    try:
        store = Xul.Store.new(argv[1], Xul.StoreFlags.NONE)
        width = store.get_value(DOC, "main-window", "width")
        print("stored width:", width or "(none)")
        if len(argv) > 2:
            store.set_value(DOC, "main-window", "width", argv[2])
            print("new width:", argv[2])
        store.close()  # flushes: the new width is on disk now
    except GLib.Error as error:
        print(error.message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
