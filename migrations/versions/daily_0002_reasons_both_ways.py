"""decline reasons both ways: clinician-side decline codes, coded end of talks, passes on suggested projects

Revision ID: daily_0002
Revises: daily_0001
Create Date: 2026-12-01 20:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'daily_0002'
down_revision = 'daily_0001'
branch_labels = None
depends_on = None

# Declines recorded with the organisation-side list (before both sides had their own): kept as 其他 with the
# old reason's words in front of the note; 预算 stays 报价或预算不匹配.
_OLD = {'too_early': '项目阶段过早', 'not_our_field': '不属于我方领域', 'ip_unclear': '知识产权不清晰'}


def upgrade():
    with op.batch_alter_table('interest') as batch_op:
        batch_op.add_column(sa.Column('ended_by_side', sa.Enum('clinician', 'organisation', name='side',
                                                               native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('end_reason_code', sa.String(length=32), nullable=True))
    op.create_table('project_pass',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('passed_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('too_early', 'not_our_field', 'ip_unclear', 'budget', 'other', name='passreason',
                                native_enum=False, length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['passed_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'organisation_id')
    )
    with op.batch_alter_table('project_pass') as batch_op:
        batch_op.create_index(batch_op.f('ix_project_pass_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_pass_project_id'), ['project_id'], unique=False)
    interest = sa.table('interest', sa.column('decline_reason', sa.String), sa.column('decline_note', sa.Text))
    for code, label in _OLD.items():
        op.execute(interest.update().where(interest.c.decline_reason == code).values(
            decline_reason='other',
            decline_note=sa.case((interest.c.decline_note == '', sa.literal(label)),
                                 else_=sa.literal(label + '：') + interest.c.decline_note)))


def downgrade():
    with op.batch_alter_table('project_pass') as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_pass_project_id'))
        batch_op.drop_index(batch_op.f('ix_project_pass_organisation_id'))
    op.drop_table('project_pass')
    with op.batch_alter_table('interest') as batch_op:
        batch_op.drop_column('end_reason_code')
        batch_op.drop_column('ended_by_side')
