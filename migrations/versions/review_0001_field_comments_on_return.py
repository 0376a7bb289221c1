"""comments on single 附件1 fields when a project is returned (退回修改), kept after resubmission

Revision ID: review_0001
Revises: core_0001
Create Date: 2026-12-01 23:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'review_0001'
down_revision = 'core_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('project_return',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('audit_event_id', sa.Integer(), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('field_comments', sa.JSON(), nullable=False),
    sa.Column('resubmission_id', sa.Integer(), nullable=True),
    sa.Column('resubmitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('changed_fields', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['audit_event_id'], ['audit_event.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.ForeignKeyConstraint(['resubmission_id'], ['project_submission.id'], ),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('project_return') as batch_op:
        batch_op.create_index(batch_op.f('ix_project_return_project_id'), ['project_id'], unique=False)


def downgrade():
    with op.batch_alter_table('project_return') as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_return_project_id'))
    op.drop_table('project_return')
