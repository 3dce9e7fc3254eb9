"""``ikenei monitor ...``: snapshots, report, plans, index advice, baselines, alerts, metrics.

Each command works on the configured database as the tables' owner, on one
connection of its own (``ikenei.monitoring.server``). Output is plain tables
for people (rich) or, with ``--json``, one JSON document on stdout. A line
that says what the server lacks (pg_stat_statements) goes to stderr as a
note; the command still does what it can.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ikenei.config.paths import MIGRATIONS_DIR
from ikenei.config.settings import Settings, load_settings
from ikenei.errors import InvalidData

Handler = Callable[[argparse.Namespace, dict[str, Any]], int]


def _settings(context: dict[str, Any]) -> Settings:
    settings = load_settings()
    context["settings"] = settings
    return settings


def _console() -> Any:
    from rich.console import Console

    # Wide enough for the tables when the output goes to a file or a pipe.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def _note(line: str | None) -> None:
    if line:
        print(f"note: {line}", file=sys.stderr)


def _json(data: Any) -> None:
    from ikenei.monitoring.render import jsonable

    print(json.dumps(data, indent=2, default=jsonable))


def _params(pairs: list[str]) -> dict[str, str]:
    given: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidData("--param", f"{pair!r} is not name=value")
        given[name.strip()] = value
    return given


# -- commands ---------------------------------------------------------------------


def snapshot(args: argparse.Namespace, context: dict[str, Any]) -> int:
    from ikenei.monitoring import server, snapshots

    async def run() -> snapshots.Snapshot:
        async with server.session(_settings(context).dsn()) as session:
            return await snapshots.take(session)

    taken = asyncio.run(run())
    _note(taken.missing)
    print(f"snapshot {taken.id}: {taken.statements} statements, in {taken.seconds * 1000:.0f} ms")
    return 0


def prune(args: argparse.Namespace, context: dict[str, Any]) -> int:
    from ikenei.monitoring import server, snapshots
    from ikenei.monitoring.periods import parse_period

    keep = parse_period(args.keep, "--keep")

    async def run() -> int:
        async with server.session(_settings(context).dsn()) as session:
            return await snapshots.prune(session, keep)

    print(f"pruned {asyncio.run(run())} snapshot(s) older than {args.keep}")
    return 0


def report(args: argparse.Namespace, context: dict[str, Any]) -> int:
    from ikenei.monitoring import render, server
    from ikenei.monitoring import report as reporting
    from ikenei.monitoring.periods import parse_period

    since = parse_period(args.since, "--since")

    async def run() -> reporting.Report:
        async with server.session(_settings(context).dsn()) as session:
            return await reporting.build(session, since)

    built = asyncio.run(run())
    if args.json:
        _json(built.as_json())
    else:
        render.report(_console(), built)
    return 0


def explain(args: argparse.Namespace, context: dict[str, Any]) -> int:
    from ikenei.monitoring import plans, server, workload

    query = workload.query_named(args.query)
    given = _params(args.param)

    async def run() -> dict[str, Any]:
        async with server.session(_settings(context).dsn()) as session:
            if not given and not args.analyze:
                return await plans.generic_plan(session, query.sql, len(query.params))
            types = await plans.parameter_types(session, query.sql)
            values = plans.arguments(query.params, types, given, complete=True)
            assert values is not None
            return await plans.plan_with_values(session, query.sql, values, analyze=args.analyze)

    plan = asyncio.run(run())
    if args.json:
        _json(plan)
    else:
        _print_plan(plan["Plan"], 0)
        for key in ("Planning Time", "Execution Time"):
            if key in plan:
                print(f"{key.lower()}: {plan[key]:.3f} ms")
    return 0


def _print_plan(node: dict[str, Any], depth: int) -> None:
    what = node["Node Type"]
    if "Relation Name" in node:
        what += f" on {node['Relation Name']}"
    if "Index Name" in node:
        what += f" using {node['Index Name']}"
    line = f"{'  ' * depth}-> {what}  (cost={node['Startup Cost']:.2f}..{node['Total Cost']:.2f} rows={node['Plan Rows']})"
    if "Actual Rows" in node:
        line += f" (actual rows={node['Actual Rows']} loops={node.get('Actual Loops', 1)})"
    print(line)
    for key in ("Index Cond", "Filter", "Sort Key", "Hash Cond", "Join Filter"):
        if key in node:
            value = ", ".join(node[key]) if isinstance(node[key], list) else node[key]
            print(f"{'  ' * depth}     {key}: {value}")
    for child in node.get("Plans", ()):
        _print_plan(child, depth + 1)


def plans_command(args: argparse.Namespace, context: dict[str, Any]) -> int:
    from ikenei.monitoring import advisor, plans, render, server, workload
    from ikenei.monitoring import report as reporting

    settings = _settings(context)

    async def run() -> list[plans.PlanCheck]:
        async with server.session(settings.dsn()) as session:
            _note(session.server.missing)
            schema = await advisor.load_schema(session)
            figures = await reporting.named_figures(session) if session.server.statements else {}
            rows = {name: f.rows_per_call for name, f in figures.items() if f.rows_per_call is not None}
            return await plans.check(session, workload.named_queries(), schema.rows,
                                     large_rows=settings.monitor_large_table_rows, rows_per_call=rows)

    checks = asyncio.run(run())
    if args.json:
        _json(plans.as_json(checks))
    else:
        render.plans(_console(), checks)
    return 1 if any(c.error for c in checks) else 0


def advise(args: argparse.Namespace, context: dict[str, Any]) -> int:
    from ikenei.monitoring import advisor, render, server, workload
    from ikenei.monitoring import report as reporting

    settings = _settings(context)
    directory = Path(args.migrations_dir)
    if args.apply and not directory.is_dir():
        raise InvalidData("--migrations-dir", f"{directory} is not a directory")

    async def run() -> advisor.Advice:
        async with server.session(settings.dsn()) as session:
            _note(session.server.missing)
            schema = await advisor.load_schema(session)
            if args.sql:
                statements = workload.read_sql_file(Path(args.sql), set(schema.columns))
                calls = None
            else:
                statements = list(workload.named_queries())
                figures = await reporting.named_figures(session) if session.server.statements else {}
                calls = {name: f.calls for name, f in figures.items()} or None
            advice = await advisor.advise(
                session, statements, min_savings=args.min_savings,
                min_rows=settings.monitor_advisor_min_rows,
                max_table_bytes=settings.monitor_advisor_max_table_mb * 1024 * 1024, calls=calls,
            )
            if args.apply:
                for suggestion in advice.suggestions:
                    path = await advisor.write_migration(session, suggestion, advice.method, directory)
                    suggestion.migration = str(path)
            await advisor.store(session, advice)
            return advice

    advice = asyncio.run(run())
    if args.json:
        _json(advisor.as_json(advice))
    else:
        render.advice(_console(), advice)
    return 0


def baseline_save(args: argparse.Namespace, context: dict[str, Any]) -> int:
    from ikenei.monitoring import alerts, server
    from ikenei.monitoring.periods import parse_period

    since = parse_period(args.since, "--since")

    async def run() -> int:
        async with server.session(_settings(context).dsn()) as session:
            return await alerts.save_baseline(session, args.name, since)

    print(f"baseline {args.name}: {asyncio.run(run())} statements saved")
    return 0


def baseline_compare(args: argparse.Namespace, context: dict[str, Any]) -> int:
    from ikenei.monitoring import alerts, render, server

    async def run() -> list[alerts.Comparison]:
        async with server.session(_settings(context).dsn()) as session:
            return await alerts.compare(session, args.name)

    rows = asyncio.run(run())
    if args.json:
        _json([{"statement": r.statement, "baseline_ms": r.baseline_ms, "current_ms": r.current_ms,
                "calls": r.calls, "factor": r.factor} for r in rows])
    else:
        render.comparisons(_console(), args.name, rows)
    return 0


def check(args: argparse.Namespace, context: dict[str, Any]) -> int:
    from ikenei.monitoring import alerts, render, server
    from ikenei.monitoring.periods import parse_period

    settings = _settings(context)
    since = parse_period(args.since, "--since")

    async def run() -> tuple[list[alerts.Firing], list[str]]:
        async with server.session(settings.dsn()) as session:
            fired, notes = await alerts.evaluate(
                session, alerts.Thresholds.from_settings(settings), since=since, baseline=args.baseline
            )
            await alerts.record(session, fired)
            return fired, notes

    fired, notes = asyncio.run(run())
    if args.json:
        _json(alerts.as_json(fired, notes))
    else:
        render.firings(_console(), fired, notes)
    if fired and settings.monitor_webhook_url is not None:
        failure = alerts.post(settings.monitor_webhook_url.get_secret_value(), fired)
        if failure:
            print(f"warning: {failure}", file=sys.stderr)
    return 1 if fired else 0


def serve(args: argparse.Namespace, context: dict[str, Any]) -> int:
    from ikenei.monitoring import metrics

    asyncio.run(metrics.serve(_settings(context).dsn(), port=args.port, address=args.address,
                              interval=args.interval))
    return 0


# -- the parser -------------------------------------------------------------------


def register(commands: Any, add: Callable[..., argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    """Adds ``ikenei monitor ...`` to the command parser."""
    group = commands.add_parser("monitor", help="performance monitoring", parents=[common])
    actions = group.add_subparsers(dest="monitor_command", metavar="ACTION", required=True)
    add(actions, "snapshot", snapshot, "record the statistics views in the monitoring schema")
    pruning = add(actions, "prune", prune, "delete snapshots and alerts older than a period")
    pruning.add_argument("--keep", default="30d", metavar="PERIOD", help="keep this much (default 30d)")
    reporting = add(actions, "report", report, "what the snapshots of a period show")
    reporting.add_argument("--since", default="24h", metavar="PERIOD", help="the period (default 24h)")
    reporting.add_argument("--json", action="store_true", help="one JSON document")
    explaining = add(actions, "explain", explain, "the plan of one named query")
    explaining.add_argument("query", metavar="QUERY_NAME")
    explaining.add_argument("--analyze", action="store_true", help="run it, in a transaction rolled back")
    explaining.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                            help="a parameter's value (repeatable)")
    explaining.add_argument("--json", action="store_true", help="EXPLAIN's JSON document")
    planning = add(actions, "plans", plans_command, "check the plans of every named query")
    planning.add_argument("--json", action="store_true", help="one JSON document")
    advising = add(actions, "advise", advise, "indexes the planner says would make statements cheaper")
    advising.add_argument("--sql", metavar="FILE", help="the statements of FILE instead of the named queries")
    advising.add_argument("--min-savings", type=float, default=50.0, metavar="PERCENT",
                          help="the least cut of a statement's cost that earns a suggestion (default 50)")
    advising.add_argument("--json", action="store_true", help="one JSON document")
    advising.add_argument("--apply", action="store_true", help="write each suggestion as a migration")
    advising.add_argument("--migrations-dir", default=str(MIGRATIONS_DIR), metavar="DIR",
                          help="where --apply writes (default: the project's sql/migrations)")
    baseline = actions.add_parser("baseline", help="per-statement baselines", parents=[common])
    baseline_actions = baseline.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)
    saving = add(baseline_actions, "save", baseline_save, "save the statements' figures under a name")
    saving.add_argument("name", metavar="NAME")
    saving.add_argument("--since", default="24h", metavar="PERIOD", help="the period (default 24h)")
    comparing = add(baseline_actions, "compare", baseline_compare, "the statements now against a baseline")
    comparing.add_argument("name", metavar="NAME")
    comparing.add_argument("--json", action="store_true", help="one JSON document")
    checking = add(actions, "check", check, "evaluate the alert rules; exit 1 when any fires")
    checking.add_argument("--since", default="1h", metavar="PERIOD", help="the period (default 1h)")
    checking.add_argument("--baseline", metavar="NAME", help="the baseline of the regression rule")
    checking.add_argument("--json", action="store_true", help="one JSON document")
    serving = add(actions, "serve", serve, "serve the figures to Prometheus at /metrics")
    serving.add_argument("--port", type=int, default=9187, help="default 9187")
    serving.add_argument("--address", default="127.0.0.1", help="default 127.0.0.1")
    serving.add_argument("--interval", type=float, default=15.0, help="seconds between refreshes (default 15)")
