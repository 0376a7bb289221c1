"""Schema comes from migrations: upgrade from empty gives exactly the models' schema."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import create_app
from app.extensions import db


def test_upgrade_from_empty_matches_the_models(tmp_path):
    import os
    url = os.environ.get("TEST_DATABASE_URL")
    if url:  # the session database is already upgraded; compare it
        app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    else:
        app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/fresh.db"})
    with app.app_context():
        if not url:
            from flask_migrate import upgrade
            upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.session.remove()
        db.engine.dispose()
    assert differences == []
