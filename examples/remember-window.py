#!/usr/bin/python3
"""remember-window.py: a GTK 4 window that opens at the size and state it was left in.

Usage: remember-window.py [STORE]
"""
import os
import sys

import gi

gi.require_version("Gtk", "4.0")
gi.require_version("Xul", "1.0")
gi.require_version("XulGtk", "1.0")
from gi.repository import GLib, Gtk, Xul, XulGtk  # noqa: E402

DOC = "app://remember-window"


def main(argv):
    path = argv[1] if len(argv) > 1 else os.path.join(GLib.get_user_data_dir(),
                                                      "remember-window.sqlite")
    store = Xul.Store.new(path, Xul.StoreFlags.NONE)

    def on_activate(app):
        window = Gtk.ApplicationWindow(application=app, title="Remember me")
        window.set_default_size(560, 360)  # the first run's size
        window.set_child(Gtk.Label(label="Resize or maximize me, close, run me again."))
        XulGtk.store_bind_window(store, window, DOC, "main-window")
        window.present()

    app = Gtk.Application(application_id="org.example.RememberWindow",
                          flags=0x20)  # NON_UNIQUE
    app.connect("activate", on_activate)
    status = app.run([argv[0]])
    store.close()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
