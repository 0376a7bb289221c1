"""Blueprints, one per area, kept thin: validate, call one service, redirect."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from app.views import admin, auth, library, main, projects, review

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp, url_prefix="/auth")
    app.register_blueprint(projects.bp, url_prefix="/projects")
    app.register_blueprint(review.bp, url_prefix="/review")
    app.register_blueprint(library.bp, url_prefix="/library")
    app.register_blueprint(admin.bp, url_prefix="/admin")
