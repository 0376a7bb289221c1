"""Changes waiting for the incremental suggestion refresh

Revision ID: speed_0003
Revises: speed_0002
"""
from alembic import op
import sqlalchemy as sa

revision = 'speed_0003'
down_revision = 'speed_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('suggestion_refresh',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('project_id', sa.Integer(), nullable=True),
                    sa.Column('organisation_id', sa.Integer(), nullable=True),
                    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_refresh')))


def downgrade():
    op.drop_table('suggestion_refresh')
