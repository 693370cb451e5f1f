"""favourites_flask.py: notes 四's favourites, as a Python user of the notes
would write them today, for make bench-python to measure beside
10-framework.

Flask for the routes and SQLite (the standard library's sqlite3) for the
store, served by gunicorn or by the standard library's wsgiref. The same
URLs and pages as 10-framework/favourites.c: GET /show.py lists the
provinces (10-framework/provinces.txt) with a form each, POST /show/<id>.py
adds one, GET /collect.py lists the favourites, POST /collect/<id>/note.py
sets a remark; a change is committed (synchronous=EXTRA, as
10-framework's SQLite store) before the 303 is sent.

    FAV_DB=/tmp/fav.db gunicorn -w 2 -b 127.0.0.1:8081 favourites_flask:app
    FAV_DB=/tmp/fav.db python3 favourites_flask.py 8081      (wsgiref)
"""
import html
import os
import sqlite3
import sys

from flask import Flask, abort, redirect, request

HERE = os.path.dirname(os.path.abspath(__file__))
PROVINCES = []
with open(os.path.join(HERE, "..", "10-framework", "provinces.txt"), encoding="utf-8") as f:
    for line in f:
        if line.startswith("#") or not line.strip():
            continue
        pid, parent, name, level = line.rstrip("\n").split("\t")
        PROVINCES.append((int(pid), int(parent), name, int(level)))
BY_ID = {p[0]: p for p in PROVINCES}

app = Flask(__name__)


def db():
    conn = sqlite3.connect(os.environ["FAV_DB"])
    conn.execute("PRAGMA synchronous = EXTRA")
    conn.execute("CREATE TABLE IF NOT EXISTS favourites "
                 "(seq INTEGER PRIMARY KEY, id INTEGER UNIQUE, remark TEXT NOT NULL DEFAULT '')")
    return conn


def page(title, body):
    return ('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">\n'
            "<title>%s</title></head>\n<body>\n<nav><a href=\"/show.py\">省份</a> "
            "<a href=\"/collect.py\">收藏</a></nav>\n<h1>%s</h1>\n%s</body></html>\n"
            % (html.escape(title), html.escape(title), body))


def cells(p):
    return "<td>%d</td><td>%d</td><td>%s</td><td>%d</td>" % (p[0], p[1], html.escape(p[2]), p[3])


@app.get("/show.py")
def show():
    with db() as conn:
        have = {row[0] for row in conn.execute("SELECT id FROM favourites")}
    rows = []
    for p in PROVINCES:
        button = "已收藏" if p[0] in have else "收藏"
        rows.append("<tr>%s<td><form method=\"post\" action=\"/show/%d.py\"><button>%s</button>"
                    "</form></td></tr>\n" % (cells(p), p[0], button))
    return page("省份 provinces", "<table>\n" + "".join(rows) + "</table>\n")


@app.post("/show/<int:pid>.py")
def add(pid):
    if pid not in BY_ID:
        abort(404)
    with db() as conn:
        conn.execute("INSERT OR IGNORE INTO favourites (id) VALUES (?)", (pid,))
    return redirect("/collect.py", 303)


@app.get("/collect.py")
def collect():
    with db() as conn:
        favs = conn.execute("SELECT id, remark FROM favourites ORDER BY seq").fetchall()
    rows = ["<tr>%s<td>%s</td></tr>\n" % (cells(BY_ID[i]), html.escape(r)) for i, r in favs if i in BY_ID]
    return page("收藏 favourites", "<table>\n" + "".join(rows) + "</table>\n")


@app.post("/collect/<int:pid>/note.py")
def note(pid):
    remark = request.form.get("remark")
    if remark is None:
        abort(400)
    with db() as conn:
        if conn.execute("UPDATE favourites SET remark = ? WHERE id = ?", (remark, pid)).rowcount == 0:
            abort(404)
    return redirect("/collect.py", 303)


if __name__ == "__main__":
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    make_server("127.0.0.1", int(sys.argv[1]), app, handler_class=Quiet).serve_forever()
