"""Indexes that cover the library's listing and counts, and the newest change (facet cache version)

Revision ID: speed_0001
Revises: trust_0004
"""
from alembic import op

revision = 'speed_0001'
down_revision = 'trust_0004'
branch_labels = None
depends_on = None

FILTER_COLUMNS = ["status", "publish_consent", "city", "department", "project_type", "device_class", "stage"]


def upgrade():
    op.create_index("ix_project_listing_order", "project", ["published_at", "id", *FILTER_COLUMNS])
    op.create_index("ix_project_listing_facets", "project", [*FILTER_COLUMNS, "published_at", "id"])
    op.create_index("ix_project_updated_at", "project", ["updated_at"])


def downgrade():
    op.drop_index("ix_project_updated_at", table_name="project")
    op.drop_index("ix_project_listing_facets", table_name="project")
    op.drop_index("ix_project_listing_order", table_name="project")
