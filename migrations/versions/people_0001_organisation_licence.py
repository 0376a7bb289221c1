"""organisation: the business licence (营业执照) the organisation uploads for its verification;
user.deactivated_at: an account the task force closed (a password reset must not open it again)

Revision ID: people_0001
Revises: docking_0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'people_0001'
down_revision = 'docking_0001'
branch_labels = None
depends_on = None


# Plain ADD COLUMN (no batch copy): organisation and user are pointed at by other tables' foreign keys.
def upgrade():
    op.add_column('organisation', sa.Column('licence_stored_name', sa.String(length=300), nullable=True))
    op.add_column('organisation', sa.Column('licence_filename', sa.String(length=255), nullable=True))
    op.add_column('organisation', sa.Column('licence_content_type', sa.String(length=100), nullable=True))
    op.add_column('organisation', sa.Column('licence_size', sa.Integer(), nullable=True))
    op.add_column('organisation', sa.Column('licence_uploaded_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('user', sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('user', 'deactivated_at')
    for column in ('licence_uploaded_at', 'licence_size', 'licence_content_type', 'licence_filename',
                   'licence_stored_name'):
        op.drop_column('organisation', column)
