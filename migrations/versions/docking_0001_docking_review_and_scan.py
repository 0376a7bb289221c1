"""docking form: the station's answer (returned with a comment / acknowledged and locked) and the stamped scan

Revision ID: docking_0001
Revises: review_0001
Create Date: 2026-12-01 23:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'docking_0001'
down_revision = 'review_0001'
branch_labels = None
depends_on = None

_USERS = ('returned_by_id', 'acknowledged_by_id', 'scan_uploaded_by_id')


def upgrade():
    # docking_form.status is a VARCHAR(32) enum without a CHECK: the new states 'returned' / 'acknowledged' fit
    with op.batch_alter_table('docking_form', schema=None) as batch_op:
        batch_op.add_column(sa.Column('return_comment', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('returned_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scan_stored_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('scan_original_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('scan_content_type', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('scan_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scan_uploaded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('scan_uploaded_by_id', sa.Integer(), nullable=True))
        for column in _USERS:
            batch_op.create_foreign_key(batch_op.f(f'fk_docking_form_{column}_user'), 'user', [column], ['id'])


def downgrade():
    with op.batch_alter_table('docking_form', schema=None) as batch_op:
        for column in _USERS:
            batch_op.drop_constraint(batch_op.f(f'fk_docking_form_{column}_user'), type_='foreignkey')
        for column in ('scan_uploaded_by_id', 'scan_uploaded_at', 'scan_size', 'scan_content_type',
                       'scan_original_name', 'scan_stored_name', 'acknowledged_by_id', 'acknowledged_at',
                       'returned_by_id', 'returned_at', 'return_comment'):
            batch_op.drop_column(column)
