"""submission_key: one-time keys of forms that create things (a retried submission creates nothing new)

Revision ID: trust_0003
Revises: trust_0002
"""
from alembic import op
import sqlalchemy as sa


revision = 'trust_0003'
down_revision = 'trust_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submission_key',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_submission_key_user_id_user')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_submission_key'))
    )
    with op.batch_alter_table('submission_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_key_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_key_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('submission_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_key_user_id'))
        batch_op.drop_index(batch_op.f('ix_submission_key_created_at'))
    op.drop_table('submission_key')
