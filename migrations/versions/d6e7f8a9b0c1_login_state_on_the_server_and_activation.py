"""The login's state on the server, and accounts activated by a second person

- `login_challenge`: a login whose password was right and whose second factor is awaited. The cookie
  holds a random token; the row holds whose login it is, since when and where to go next, so that a
  cookie signed with a known SECRET_KEY skips nothing.
- `user_session.enrolling_secret`: the TOTP secret being enrolled, kept with the session, not in the
  cookie.
- `user_account`: a one-time password's expiry, and the maker-checker state of an account issued by one
  manager (created, or its password reset): who issued it, from which address and session, and who
  activated it.

Revision ID: d6e7f8a9b0c1
Revises: c5d6e7f8a9b0
Create Date: 2026-12-07 00:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'd6e7f8a9b0c1'
down_revision = 'c5d6e7f8a9b0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_challenge',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_path', sa.String(length=2000), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_login_challenge_user_id', 'login_challenge', ['user_id'])
    with op.batch_alter_table('user_session') as batch:
        batch.add_column(sa.Column('enrolling_secret', sa.String(length=200), nullable=True))
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('password_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('issued_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('issued_from_ip', sa.String(length=45), nullable=True))
        batch.add_column(sa.Column('issued_session_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('activated_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('awaiting_activation', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_foreign_key('fk_user_account_issued_by', 'user_account', ['issued_by_id'], ['id'])
        batch.create_foreign_key('fk_user_account_activated_by', 'user_account', ['activated_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('user_account') as batch:
        batch.drop_constraint('fk_user_account_activated_by', type_='foreignkey')
        batch.drop_constraint('fk_user_account_issued_by', type_='foreignkey')
        for column in ('awaiting_activation', 'activated_at', 'activated_by_id', 'issued_session_hash',
                       'issued_from_ip', 'issued_at', 'issued_by_id', 'password_expires_at'):
            batch.drop_column(column)
    with op.batch_alter_table('user_session') as batch:
        batch.drop_column('enrolling_secret')
    op.drop_index('ix_login_challenge_user_id', table_name='login_challenge')
    op.drop_table('login_challenge')
