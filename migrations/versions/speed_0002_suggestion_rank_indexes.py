"""Indexes that let 为您推荐 and the suggested partners read the best suggestions first and stop

Revision ID: speed_0002
Revises: speed_0001
"""
from alembic import op

revision = 'speed_0002'
down_revision = 'speed_0001'
branch_labels = None
depends_on = None

INDEXES = {"ix_match_suggestion_org_rank": "organisation_id", "ix_match_suggestion_intent_rank": "intent_id",
           "ix_match_suggestion_project_rank": "project_id"}


def upgrade():
    for name, column in INDEXES.items():
        op.create_index(name, "match_suggestion", [column, "status", "score", "id"])


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="match_suggestion")
