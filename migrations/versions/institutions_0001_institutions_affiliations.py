"""institutions (医疗机构), affiliations of clinicians and officers, 项目申请单位

Revision ID: institutions_0001
Revises: programme_0001
Create Date: 2026-12-01 20:20:00

Existing clinicians get a pending affiliation naming the hospital they typed at registration: station staff
resolve each one to a hospital record and confirm it (or its officer does), as for a new registration.
"""
from alembic import op
import sqlalchemy as sa


revision = 'institutions_0001'
down_revision = 'programme_0001'
branch_labels = None
depends_on = None


def _enum(*values, name):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade():
    op.create_table('institution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('code_kind', _enum('uscc', 'licence', name='institutioncodekind'), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('city', sa.String(length=50), nullable=False),
    sa.Column('level', _enum('3a', '3b', '3c', '2a', '2b', '2c', '1', 'ungraded', name='institutionlevel'),
              nullable=False),
    sa.Column('internal_review', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institution')),
    sa.UniqueConstraint('code', name=op.f('uq_institution_code')),
    sa.UniqueConstraint('name', name=op.f('uq_institution_name'))
    )
    op.create_table('affiliation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('institution_name', sa.String(length=200), nullable=False),
    sa.Column('status', _enum('pending', 'confirmed', 'rejected', name='affiliationstatus'), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_affiliation_decided_by_id_user')),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'],
                            name=op.f('fk_affiliation_institution_id_institution')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_affiliation_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affiliation')),
    sa.UniqueConstraint('user_id', name=op.f('uq_affiliation_user_id'))
    )
    with op.batch_alter_table('affiliation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_affiliation_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_affiliation_status'), ['status'], unique=False)

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('applicant_institution_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_project_applicant_institution_id_institution'), 'institution',
                                    ['applicant_institution_id'], ['id'])

    op.execute("INSERT INTO affiliation (user_id, institution_name, status, status_reason, created_at) "
               "SELECT id, institution, 'pending', '', created_at FROM \"user\" WHERE role = 'clinician'")


def downgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_project_applicant_institution_id_institution'), type_='foreignkey')
        batch_op.drop_column('applicant_institution_id')
    with op.batch_alter_table('affiliation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_affiliation_status'))
        batch_op.drop_index(batch_op.f('ix_affiliation_institution_id'))
    op.drop_table('affiliation')
    op.drop_table('institution')
