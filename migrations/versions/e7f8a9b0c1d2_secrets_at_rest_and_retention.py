"""TOTP secrets encrypted at rest, and what the retention sweep keeps of a person

- `user_account.totp_secret` widens for its sealed form (portal.auth.at_rest); every stored secret is
  sealed here, under TOTP_ENCRYPTION_KEY.
- `person.cccd_hash`: a keyed hash of the CCCD, kept when the retention sweep removes the number, so a
  returning person is still matched; `person.pseudonymised_on`: the day the sweep took the identity.

Revision ID: e7f8a9b0c1d2
Revises: d6e7f8a9b0c1
Create Date: 2026-12-07 00:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'e7f8a9b0c1d2'
down_revision = 'd6e7f8a9b0c1'
branch_labels = None
depends_on = None


def upgrade():
    from portal.auth.at_rest import PREFIX, seal

    with op.batch_alter_table('user_account') as batch:
        batch.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=200))
    bind = op.get_bind()
    stored = bind.execute(sa.text("SELECT id, totp_secret FROM user_account WHERE totp_secret IS NOT NULL")).all()
    for user_id, secret in stored:
        if not secret.startswith(PREFIX):
            bind.execute(
                sa.text("UPDATE user_account SET totp_secret = :s WHERE id = :i"), {"s": seal(secret), "i": user_id}
            )
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('cccd_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('pseudonymised_on', sa.Date(), nullable=True))
        batch.create_index('ix_person_cccd_hash', ['cccd_hash'])


def downgrade():
    from portal.auth.at_rest import unseal

    with op.batch_alter_table('person') as batch:
        batch.drop_index('ix_person_cccd_hash')
        batch.drop_column('pseudonymised_on')
        batch.drop_column('cccd_hash')
    bind = op.get_bind()
    stored = bind.execute(sa.text("SELECT id, totp_secret FROM user_account WHERE totp_secret IS NOT NULL")).all()
    for user_id, secret in stored:
        bind.execute(sa.text("UPDATE user_account SET totp_secret = :s WHERE id = :i"), {"s": unseal(secret), "i": user_id})
    with op.batch_alter_table('user_account') as batch:
        batch.alter_column('totp_secret', existing_type=sa.String(length=200), type_=sa.String(length=64))
