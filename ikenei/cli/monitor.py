"""``ikenei monitor ...``: snapshots, report, plans, index advice, baselines, alerts, metrics.

Each command works on the configured database as the tables' owner, on one
connection of its own (``ikenei.monitoring.server``). Output is plain tables
for people (rich) or, with ``--json``, one JSON document on stdout. A line
that says what the server lacks (pg_stat_statements) goes to stderr as a
note; the command still does what it can.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ikenei.cli.common import EXIT_FAILED, EXIT_OK, Commands, Context
from ikenei.config.paths import MIGRATIONS_DIR
from ikenei.errors import InvalidData


def configure_monitor_parser(commands: Commands) -> None:
    monitor = commands.group("monitor", "performance monitoring")
    monitor.command("snapshot", snapshot, "record the statistics views in the monitoring schema")
    pruning = monitor.command("prune", prune, "delete snapshots and alerts older than a period")
    pruning.add_argument("--keep", default="30d", metavar="PERIOD", help="keep this much (default 30d)")
    reporting = monitor.command("report", report, "what the snapshots of a period show")
    reporting.add_argument("--since", default="24h", metavar="PERIOD", help="the period (default 24h)")
    reporting.add_argument("--json", action="store_true", help="one JSON document")
    explaining = monitor.command("explain", explain, "the plan of one named query")
    explaining.add_argument("query", metavar="QUERY_NAME")
    explaining.add_argument("--analyze", action="store_true", help="run it, in a transaction rolled back")
    explaining.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                            help="a parameter's value (repeatable)")
    explaining.add_argument("--json", action="store_true", help="EXPLAIN's JSON document")
    planning = monitor.command("plans", plans_command, "check the plans of every named query")
    planning.add_argument("--json", action="store_true", help="one JSON document")
    advising = monitor.command("advise", advise, "indexes the planner says would make statements cheaper")
    advising.add_argument("--sql", metavar="FILE", help="the statements of FILE instead of the named queries")
    advising.add_argument("--min-savings", type=float, default=50.0, metavar="PERCENT",
                          help="the least cut of a statement's cost that earns a suggestion (default 50)")
    advising.add_argument("--json", action="store_true", help="one JSON document")
    advising.add_argument("--apply", action="store_true", help="write each suggestion as a migration")
    advising.add_argument("--migrations-dir", default=str(MIGRATIONS_DIR), metavar="DIR",
                          help="where --apply writes (default: the project's sql/migrations)")
    baseline = monitor.group("baseline", "per-statement baselines")
    saving = baseline.command("save", baseline_save, "save the statements' figures under a name")
    saving.add_argument("name", metavar="NAME")
    saving.add_argument("--since", default="24h", metavar="PERIOD", help="the period (default 24h)")
    comparing = baseline.command("compare", baseline_compare, "the statements now against a baseline")
    comparing.add_argument("name", metavar="NAME")
    comparing.add_argument("--json", action="store_true", help="one JSON document")
    checking = monitor.command("check", check, "evaluate the alert rules; exit 1 when any fires")
    checking.add_argument("--since", default="1h", metavar="PERIOD", help="the period (default 1h)")
    checking.add_argument("--baseline", metavar="NAME", help="the baseline of the regression rule")
    checking.add_argument("--json", action="store_true", help="one JSON document")
    serving = monitor.command("serve", serve, "serve the figures to Prometheus at /metrics")
    serving.add_argument("--port", type=int, default=9187, help="default 9187")
    serving.add_argument("--address", default="127.0.0.1", help="default 127.0.0.1")
    serving.add_argument("--interval", type=float, default=15.0, help="seconds between refreshes (default 15)")


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


async def snapshot(args: argparse.Namespace, context: Context) -> int:
    from ikenei.monitoring import server, snapshots

    async def run() -> snapshots.Snapshot:
        async with server.session(context.started(context.load_settings()).dsn()) as session:
            return await snapshots.take(session)

    taken = await run()
    _note(taken.missing)
    print(f"snapshot {taken.id}: {taken.statements} statements, in {taken.seconds * 1000:.0f} ms")
    return EXIT_OK


async def prune(args: argparse.Namespace, context: Context) -> int:
    from ikenei.monitoring import server, snapshots
    from ikenei.monitoring.periods import parse_period

    keep = parse_period(args.keep, "--keep")

    async def run() -> int:
        async with server.session(context.started(context.load_settings()).dsn()) as session:
            return await snapshots.prune(session, keep)

    print(f"pruned {await run()} snapshot(s) older than {args.keep}")
    return EXIT_OK


async def report(args: argparse.Namespace, context: Context) -> int:
    from ikenei.monitoring import render, server
    from ikenei.monitoring import report as reporting
    from ikenei.monitoring.periods import parse_period

    since = parse_period(args.since, "--since")

    async def run() -> reporting.Report:
        async with server.session(context.started(context.load_settings()).dsn()) as session:
            return await reporting.build(session, since)

    built = await run()
    if args.json:
        _json(built.as_json())
    else:
        render.report(_console(), built)
    return EXIT_OK


async def explain(args: argparse.Namespace, context: Context) -> int:
    from ikenei.monitoring import plans, server, workload

    query = workload.query_named(args.query)
    given = _params(args.param)

    async def run() -> dict[str, Any]:
        async with server.session(context.started(context.load_settings()).dsn()) as session:
            if not given and not args.analyze:
                return await plans.generic_plan(session, query.sql, len(query.params))
            types = await plans.parameter_types(session, query.sql)
            values = plans.arguments(query.params, types, given, complete=True)
            assert values is not None
            return await plans.plan_with_values(session, query.sql, values, analyze=args.analyze)

    plan = await run()
    if args.json:
        _json(plan)
    else:
        _print_plan(plan["Plan"], 0)
        for key in ("Planning Time", "Execution Time"):
            if key in plan:
                print(f"{key.lower()}: {plan[key]:.3f} ms")
    return EXIT_OK


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


async def plans_command(args: argparse.Namespace, context: Context) -> int:
    from ikenei.monitoring import advisor, plans, render, server, workload
    from ikenei.monitoring import report as reporting

    settings = context.load_settings()

    async def run() -> list[plans.PlanCheck]:
        async with server.session(context.started(settings).dsn()) as session:
            _note(session.server.missing)
            schema = await advisor.load_schema(session)
            figures = await reporting.named_figures(session) if session.server.statements else {}
            rows = {name: f.rows_per_call for name, f in figures.items() if f.rows_per_call is not None}
            return await plans.check(session, workload.named_queries(), schema.rows,
                                     large_rows=settings.monitor_large_table_rows, rows_per_call=rows)

    checks = await run()
    if args.json:
        _json(plans.as_json(checks))
    else:
        render.plans(_console(), checks)
    return EXIT_FAILED if any(c.error for c in checks) else EXIT_OK


async def advise(args: argparse.Namespace, context: Context) -> int:
    from ikenei.monitoring import advisor, render, server, workload
    from ikenei.monitoring import report as reporting

    settings = context.load_settings()
    directory = Path(args.migrations_dir)
    if args.apply and not directory.is_dir():
        raise InvalidData("--migrations-dir", f"{directory} is not a directory")

    async def run() -> advisor.Advice:
        async with server.session(context.started(settings).dsn()) as session:
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

    advice = await run()
    if args.json:
        _json(advisor.as_json(advice))
    else:
        render.advice(_console(), advice)
    return EXIT_OK


async def baseline_save(args: argparse.Namespace, context: Context) -> int:
    from ikenei.monitoring import alerts, server
    from ikenei.monitoring.periods import parse_period

    since = parse_period(args.since, "--since")

    async def run() -> int:
        async with server.session(context.started(context.load_settings()).dsn()) as session:
            return await alerts.save_baseline(session, args.name, since)

    print(f"baseline {args.name}: {await run()} statements saved")
    return EXIT_OK


async def baseline_compare(args: argparse.Namespace, context: Context) -> int:
    from ikenei.monitoring import alerts, render, server

    async def run() -> list[alerts.Comparison]:
        async with server.session(context.started(context.load_settings()).dsn()) as session:
            return await alerts.compare(session, args.name)

    rows = await run()
    if args.json:
        _json([{"statement": r.statement, "baseline_ms": r.baseline_ms, "current_ms": r.current_ms,
                "calls": r.calls, "factor": r.factor} for r in rows])
    else:
        render.comparisons(_console(), args.name, rows)
    return EXIT_OK


async def check(args: argparse.Namespace, context: Context) -> int:
    from ikenei.monitoring import alerts, render, server
    from ikenei.monitoring.periods import parse_period

    settings = context.load_settings()
    since = parse_period(args.since, "--since")

    async def run() -> tuple[list[alerts.Firing], list[str]]:
        async with server.session(context.started(settings).dsn()) as session:
            fired, notes = await alerts.evaluate(
                session, alerts.Thresholds.from_settings(settings), since=since, baseline=args.baseline,
                backups=settings,
            )
            await alerts.record(session, fired)
            return fired, notes

    fired, notes = await run()
    if args.json:
        _json(alerts.as_json(fired, notes))
    else:
        render.firings(_console(), fired, notes)
    if fired and settings.monitor_webhook_url is not None:
        failure = alerts.post(settings.monitor_webhook_url.get_secret_value(), fired)
        if failure:
            print(f"warning: {failure}", file=sys.stderr)
    return EXIT_FAILED if fired else EXIT_OK


async def serve(args: argparse.Namespace, context: Context) -> int:
    from ikenei.monitoring import metrics

    settings = context.load_settings()
    await metrics.serve(context.started(settings).dsn(), port=args.port, address=args.address,
                        interval=args.interval, backups=settings)
    return EXIT_OK
