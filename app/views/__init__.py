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
    from app.views import demands, organisation; app.register_blueprint(organisation.bp, url_prefix="/organisation"); app.register_blueprint(demands.bp, url_prefix="/demands")  # noqa: E702
    from app.views import documents; app.register_blueprint(documents.bp, url_prefix="/documents")  # noqa: E702
    from app.views import deals, notifications
    app.register_blueprint(deals.bp, url_prefix="/deals")
    app.register_blueprint(notifications.bp, url_prefix="/notifications")
