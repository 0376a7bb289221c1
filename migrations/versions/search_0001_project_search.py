"""project_search: tsvector documents for the PostgreSQL search backend

Revision ID: search_0001
Revises: daily_0003
Create Date: 2026-12-01 20:40:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'search_0001'
down_revision = 'daily_0003'
branch_labels = None
depends_on = None


def upgrade():
    # tsvector on PostgreSQL; text elsewhere (the table exists everywhere, only PostgreSQL's backend fills it)
    vector = postgresql.TSVECTOR() if op.get_bind().dialect.name == 'postgresql' else sa.Text()
    op.create_table('project_search',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('words', vector, nullable=False),
    sa.Column('chars', vector, nullable=False),
    sa.Column('pairs', vector, nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_search_project_id_project'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_project_search'))
    )
    with op.batch_alter_table('project_search', schema=None) as batch_op:
        for name in ('words', 'chars', 'pairs'):
            batch_op.create_index(f'ix_project_search_{name}', [name], unique=False, postgresql_using='gin')


def downgrade():
    with op.batch_alter_table('project_search', schema=None) as batch_op:
        for name in ('pairs', 'chars', 'words'):
            batch_op.drop_index(f'ix_project_search_{name}', postgresql_using='gin')
    op.drop_table('project_search')
