"""The floor: a bare Flask + Flask-SQLAlchemy route doing SELECT 1, served like the portal.

    gunicorn -w 2 'bench.floor:app'   (DATABASE_URL picks the server)
"""
from __future__ import annotations

import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

db = SQLAlchemy()
app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db.init_app(app)


@app.get("/")
def select_one():
    return str(db.session.scalar(text("SELECT 1")))
