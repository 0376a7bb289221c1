"""Blueprints, one per area, kept thin: validate, call one service, redirect."""
from importlib import import_module

from flask import Flask

# (module in app.views, URL prefix); each module defines `bp`.
BLUEPRINTS = (
    ("main", None),
    ("auth", "/auth"),
    ("projects", "/projects"),
    ("review", "/review"),
    ("library", "/library"),
    ("searches", "/searches"),
    ("admin", "/admin"),
    ("organisation", "/organisation"),
    ("demands", "/demands"),
    ("documents", "/documents"),
    ("deals", "/deals"),
    ("notifications", "/notifications"),
    ("incubation", "/incubation"),
    ("matching", "/matching"),
    ("dashboard", "/dashboard"),
    ("reports", "/reports"),
    ("audit", "/admin/audit"),
)


def register_blueprints(app: Flask) -> None:
    for name, prefix in BLUEPRINTS:
        app.register_blueprint(import_module(f"app.views.{name}").bp, url_prefix=prefix)
