"""IkeNei data layer: the async API over the PostgreSQL schema of a 360-degree feedback planner.

    from ikenei import Database, load_settings

    db = await Database.connect(load_settings())
    user = await db.users.get(user_id)
    async with db.transaction() as tx:
        org = await tx.organizations.create(name="Acme")
        await tx.organizations.add_member(org.id, user.id)
"""

from ikenei import errors
from ikenei.config.settings import Settings, load_settings
from ikenei.db.database import Database, Repositories

__all__ = ["Database", "Repositories", "Settings", "errors", "load_settings"]
