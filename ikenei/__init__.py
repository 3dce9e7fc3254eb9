"""IkeNei data layer: the async API over the PostgreSQL schema of a 360-degree feedback planner.

``Database.connect`` opens a pool working as ``DB_APP_ROLE`` (``ikenei_app``),
which row-level security binds: every statement runs in a scope that says
whom it works for (see ``ikenei.db.database``). ``ikenei.errors`` holds every
exception a caller sees. Run by ``tests/test_docs.py``::

    from uuid import uuid4

    from ikenei import Database, load_settings

    db = await Database.connect(load_settings())
    async with db.person(email="grace@globex.example") as tx:      # signing up
        grace = await tx.users.create(email="grace@globex.example", password="a long passphrase",
                                      first_name="Grace", last_name="Hopper")
    async with db.organization(uuid4(), user_id=grace.id) as tx:  # founding an organization
        org = await tx.organizations.create(name="Globex", domain="globex.example")
        await tx.organizations.add_member(org.id, grace.id)
    async with db.organization(org.id) as tx:                     # working for it
        member = await tx.users.get(grace.id)
    await db.close()

Where things are: ``config`` (settings), ``db`` (pool, scopes, query execution,
error translation), ``repositories`` (one per domain, each method one named
query of ``sql/queries/<domain>.sql``), ``security``, ``privacy``, ``schema``
(migrations, seeds, verify), ``cli`` (the ``ikenei`` command), ``embedded``
(the development server) and ``vocabulary`` (the domain's fixed words).
"""

from ikenei import errors
from ikenei.config.settings import Settings, load_settings
from ikenei.db.database import Database, Repositories

__all__ = ["Database", "Repositories", "Settings", "errors", "load_settings"]
