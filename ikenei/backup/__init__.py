"""Backup and recovery: continuous WAL archiving, base backups, restores, drills.

PostgreSQL's own tools do the copying (``pg_basebackup``, incremental where
the server supports it; ``pg_combinebackup``; ``pg_verifybackup``; the
server's archiver with ``basic_archive``, or ``pg_receivewal`` for an existing
server); IkeNei owns what the anchors leave
to their users: the catalog (kept in the repository itself, never only in the
database it protects), the lock, retention, the encrypted off-site copy, the
schedule and the drills.

Modules, each one concern:

- ``tools``      running PostgreSQL's programs, with one-line errors
- ``instance``   a data directory started on a private socket (restores, drills)
- ``archive``    the archiving settings of the embedded server; WAL segment names,
                 gaps, and the last commit the archive holds
- ``catalog``    what a backup is (``Backup``) and its record in the repository
- ``repository`` the primary repository, a directory: layout, lock, listing
- ``remote``     the off-site repository (S3), encrypted and compressed
- ``run``        taking a base backup (full or incremental) or a logical one
- ``restore``    a data directory recovered to a point in time, a name, a backup
- ``verify``     checksums, manifests, chains and WAL continuity; drills
- ``expire``     retention by ``BACKUP_RETENTION_DAYS``
- ``schedule``   the foreground scheduler of ``BACKUP_SCHEDULE``
- ``receiver``   an existing server's WAL through ``pg_receivewal`` and a slot
- ``status``     the archiver's or receiver's health and the repository's state
"""
