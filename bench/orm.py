"""The same reads through SQLAlchemy's async ORM, for comparison only.

SQLAlchemy is a bench-only dependency (``pip install -e '.[bench]'``, which
``make bench`` does); nothing in ``ikenei`` imports it.

Each call opens a fresh ``AsyncSession``, as service code does per request, so
no call is answered from another's identity map. The sessions share one
connection in autocommit mode: like the other ways measured, a read is one
statement with no BEGIN or ROLLBACK around it, and no pool is involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import asyncpg
from sqlalchemy import DateTime, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True)}


class UserRow(Base):
    """The ``users`` table as the ORM maps it: the columns ``get_user`` selects."""

    __tablename__ = "users"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    email: Mapped[str]
    first_name: Mapped[str]
    last_name: Mapped[str]
    job_title: Mapped[str | None]
    department: Mapped[str | None]
    manager_id: Mapped[UUID | None]
    profile_image_url: Mapped[str | None]
    is_active: Mapped[bool]
    email_verified: Mapped[bool]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Filtered on, never loaded: the queries do not select it either.
    deleted_at: Mapped[datetime | None] = mapped_column(deferred=True)


class OrmReads:
    """``get`` and ``list`` of users through the ORM, on one connection."""

    def __init__(self, engine: AsyncEngine, connection: AsyncConnection) -> None:
        self._engine = engine
        self._connection = connection

    @classmethod
    async def connect(cls, dsn: str) -> OrmReads:
        # asyncpg connects from the same DSN as the other ways: no URL
        # translation between libpq's and SQLAlchemy's forms.
        engine = create_async_engine(
            "postgresql+asyncpg://",
            async_creator=lambda: asyncpg.connect(dsn),
            pool_size=1,
            max_overflow=0,
        )
        connection = await engine.connect()
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        return cls(engine, connection)

    async def close(self) -> None:
        await self._connection.close()
        await self._engine.dispose()

    async def get(self, user_id: UUID) -> UserRow | None:
        """``get_user``: one user by id, not soft-deleted."""
        async with AsyncSession(bind=self._connection) as session:
            found = await session.scalars(
                select(UserRow).where(UserRow.id == user_id, UserRow.deleted_at.is_(None))
            )
            return found.one_or_none()

    async def list(
        self, is_active: bool | None = None, limit: int = 50
    ) -> Sequence[UserRow]:
        """``list_users``: the first page in creation order."""
        query = select(UserRow).where(UserRow.deleted_at.is_(None))
        if is_active is not None:
            query = query.where(UserRow.is_active == is_active)
        query = query.order_by(UserRow.created_at, UserRow.id).limit(limit)
        async with AsyncSession(bind=self._connection) as session:
            return (await session.scalars(query)).all()
