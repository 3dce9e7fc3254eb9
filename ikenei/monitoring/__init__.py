"""Performance monitoring: history of the statistics views, kept in the ``monitoring`` schema.

- ``server``: a monitoring session on one connection, and what the server offers
  (pg_stat_statements, its version), with the one line that says what is
  missing and how to enable it;
- ``snapshots``: ``take`` copies the cumulative statistics into the
  ``monitoring`` schema (per-statement deltas, never a reset of
  pg_stat_statements), ``prune`` forgets old ones;
- ``report``: the period's slowest statements, storage growth, sequential
  scans, cache hit ratio, connections and pool, and now: index hygiene
  (unused, duplicate, invalid), long-running statements, wraparound headroom;
- ``plans``: generic and analysed plans of one statement, and the checks
  run on every named query (sequential scans of large tables, sorts an index
  could serve, estimates far from what calls return);
- ``advisor``: candidate indexes compared by the planner (HypoPG, or built in
  a rolled-back transaction), suggestions stored and written as migrations;
- ``alerts``: baselines and the alert rules of ``ikenei monitor check``, firings
  recorded and POSTed to a webhook;
- ``metrics``: the Prometheus endpoint of ``ikenei monitor serve``, and a
  collector of the pool's figures for an application's own endpoint;
- ``render``: the tables ``ikenei monitor`` prints (rich), sparklines;
- ``workload``: the named queries of ``sql/queries`` and the statements of a
  ``--sql`` file, parsed by PostgreSQL's own parser (pglast);
- ``periods``: ``30d``, ``24h``, ``15m`` as periods.

Everything reads; nothing here changes the application's schema or data.
"""
