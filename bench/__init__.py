"""``make bench``: what a repository call costs over the bare driver.

Two reads of the users repository are measured, each in four ways, all in one
run and on the same data:

- ``get``: ``users.get(user_id)``, a primary-key lookup (query ``get_user``);
- ``list``: ``users.list(limit=50)``, a 50-row page (query ``list_users``).

The ways: raw asyncpg (``fetchrow``/``fetch`` of the query's own SQL text,
returning Records), the ikenei repository (the same SQL through the
``Executor``, returning dataclasses), aiosql's generated functions called as
they are, and SQLAlchemy's async ORM on mapped classes of the same table.

Modules: ``data`` makes the benchmark database and its rows, ``variants`` the
four ways of each read, ``orm`` the SQLAlchemy side (imported only when
measured: it is a bench-only dependency), ``timing`` the interleaved rounds,
``__main__`` the command and its report.
"""
