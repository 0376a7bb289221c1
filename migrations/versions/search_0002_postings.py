"""project_search_posting: the PostgreSQL search backend's inverted index; project_search keeps text and lengths

The tsvector columns of project_search give way to one posting per (view, lexeme, project) with its term
frequency and the view's length; project_search keeps each project's normalised text, its stored jieba words
and its views' lengths. Both tables exist on every database; only the PostgreSQL backend fills them. Their
content is derived: the first search after upgrading fills the new tables from the database (or run
`flask search reindex` ahead of time); after a downgrade, run it for the old backend.

Revision ID: search_0002
Revises: suggestions_0001
Create Date: 2026-12-02 15:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'search_0002'
down_revision = 'suggestions_0001'
branch_labels = None
depends_on = None

LENGTHS = ('name_len', 'intended_use_len', 'public_summary_len', 'clinical_prospects_len', 'other_len', 'chars_len')


def upgrade():
    with op.batch_alter_table('project_search', schema=None) as batch_op:
        for name in ('pairs', 'chars', 'words'):
            batch_op.drop_index(f'ix_project_search_{name}', postgresql_using='gin')
    op.drop_table('project_search')
    op.create_table('project_search',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('tokens', sa.Text(), nullable=False),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in LENGTHS),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_search_project_id_project'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_project_search'))
    )
    op.create_table('project_search_posting',
    sa.Column('view', sa.SmallInteger(), nullable=False),
    sa.Column('lexeme', sa.Text().with_variant(sa.Text(collation='C'), 'postgresql'), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('tf', sa.Integer(), nullable=False),
    sa.Column('len', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('view', 'lexeme', 'project_id', name='pk_project_search_posting',
                            postgresql_include=['tf', 'len'])
    )
    with op.batch_alter_table('project_search_posting', schema=None) as batch_op:
        batch_op.create_index('ix_project_search_posting_project_id', ['project_id'], unique=False)


def downgrade():
    with op.batch_alter_table('project_search_posting', schema=None) as batch_op:
        batch_op.drop_index('ix_project_search_posting_project_id')
    op.drop_table('project_search_posting')
    op.drop_table('project_search')
    # search_0001's table, empty (the old backend's re-index fills it)
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
