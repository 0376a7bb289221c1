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


def test_clinicians_from_before_hospitals_wait_for_confirmation(tmp_path, app):
    """institutions_0001 gives every existing clinician a pending tie naming the hospital they typed."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app.accounts.models import AffiliationStatus, User
    from app.core import jobs
    old = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/old.db"})
    with old.app_context():
        upgrade(revision="ff72feaf3901")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO user (email, password_hash, name, phone, role, institution, department, active, "
                "failed_logins, created_at) VALUES ('old@example.test', '', '老医生', '', 'clinician', '福建省立医院', "
                "'骨科', 1, 0, '2026-01-01 00:00:00')"))
        upgrade()
        user = db.session.scalar(db.select(User).where(User.email == "old@example.test"))
        assert user.affiliation.status is AffiliationStatus.PENDING
        assert user.affiliation.institution is None and user.affiliation.hospital_name == "福建省立医院"
        assert not user.is_verified
        db.session.remove()
        db.engine.dispose()
    jobs.init_app(app)  # create_app pointed the job queue at the old instance
