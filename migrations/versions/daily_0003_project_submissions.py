"""snapshots of 附件1 at each submission (reviewers see what changed since the last one)

Revision ID: daily_0003
Revises: daily_0002
Create Date: 2026-12-01 21:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'daily_0003'
down_revision = 'daily_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('project_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('project_submission') as batch_op:
        batch_op.create_index(batch_op.f('ix_project_submission_project_id'), ['project_id'], unique=False)


def downgrade():
    with op.batch_alter_table('project_submission') as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_submission_project_id'))
    op.drop_table('project_submission')
