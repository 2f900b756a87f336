"""Accounts, the roles they hold on units, their live sessions and their login attempts."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, DateTime, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.at_rest import Encrypted
from portal.clock import utcnow
from portal.extensions import db
from portal.tenancy.models import AdminUnit


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    search_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Two-factor login (portal.auth.two_factor): the TOTP secret once enrolled, and the last time step
    # accepted, so that no code is taken twice.
    totp_secret: Mapped[str | None] = mapped_column(Encrypted())  # sealed at rest (portal.auth.at_rest)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # A one-time password (a new account's, or a reset's) stops working after this moment.
    password_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Maker-checker (portal.auth.activation): an account that reads personal data, created or reset by
    # one manager, logs in only once a second person has activated it.
    awaiting_activation: Mapped[bool] = mapped_column(default=False, server_default=false())
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    issued_from_ip: Mapped[str | None] = mapped_column(String(45))
    issued_session_hash: Mapped[str | None] = mapped_column(String(64))
    activated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    assignments: Mapped[list["RoleAssignment"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", foreign_keys="RoleAssignment.user_id"
    )
    issued_by: Mapped["User | None"] = relationship(foreign_keys=[issued_by_id], remote_side=[id])

    # The token of the session this object was loaded for; Flask-Login stores it as the "id".
    session_token = None
    # Whether that session passed the second factor (set by the user loader).
    session_second_factor = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        return self.session_token


class RoleAssignment(db.Model):
    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "unit_id", "role", name="uq_role_assignment_user_unit_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(back_populates="assignments", foreign_keys=[user_id])
    unit: Mapped[AdminUnit] = relationship(lazy="joined")


class UserSession(db.Model):
    """A server-side session: the cookie holds a random token, the database its hash and its state."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(String(45))
    second_factor_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The TOTP secret being enrolled in this session, until a code proves the app holds it.
    enrolling_secret: Mapped[str | None] = mapped_column(Encrypted())

    user: Mapped[User] = relationship()


class LoginChallenge(db.Model):
    """A login whose password was right, waiting for its second factor. The cookie holds a random
    token, this row its hash and the rest: a forged cookie names no challenge."""

    __tablename__ = "login_challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_path: Mapped[str] = mapped_column(String(2000), default="/")
    ip: Mapped[str | None] = mapped_column(String(45))


class RecoveryCode(db.Model):
    """A one-time code for logging in without the authenticator; only its hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(db.Model):
    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(200), index=True)
    ip: Mapped[str | None] = mapped_column(String(45), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    succeeded: Mapped[bool] = mapped_column(default=False)
