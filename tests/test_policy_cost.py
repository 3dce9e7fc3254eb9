"""Row-level security costs little: every policy reads the scope (the
settings a scope sets) once per statement, in an InitPlan, never once per row."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from foundation_support import make_member, make_org
from security_support import app_database, raw

from ikenei.db.queries import Executor, Q, load
from ikenei.monitoring.plans import nodes

TQ = load(Path(__file__).parent / "sql" / "policy_cost.sql")

#: Functions the policies call that read the scope, directly or through another.
SCOPE_HELPERS = {
    "acting_permissions", "acting_person_id", "acting_person_may", "current_organization_id",
    "current_person_email", "current_person_id", "organization_has_role_assignments", "people_in_reach",
    "current_setting",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Policy:
    table_name: str
    policy_name: str
    using_expression: str
    check_expression: str


@dataclasses.dataclass(frozen=True, slots=True)
class Name:
    name: str


def per_row_calls(expression: str, helpers: set[str]) -> list[str]:
    """The helper calls of a policy expression that are not the whole of a
    scalar subquery with constant arguments: PostgreSQL would make them once per row."""
    found = []
    for call in re.finditer(r"\b([a-z_]+)\(", expression):
        if call.group(1) not in helpers:
            continue
        before = expression[: call.start()]
        arguments = re.match(r"\((?:'[^']*'::text(?:, )?)*\)", expression[call.end() - 1:])
        if not before.endswith("( SELECT ") or arguments is None:
            found.append(expression[max(0, call.start() - 20): call.end() + 30])
    return found


async def test_every_policy_calls_the_scope_helpers_once_per_statement(db):
    x = Executor(db._pool)
    readers = {r.name for r in await x.all(TQ.list_scope_readers, Name)}
    helpers = SCOPE_HELPERS | readers
    policies = await x.all(TQ.list_policy_expressions, Policy)
    assert len(policies) > 90
    offenders = {
        f"{p.table_name}.{p.policy_name}": calls
        for p in policies
        if (calls := per_row_calls(p.using_expression, helpers) + per_row_calls(p.check_expression, helpers))
    }
    assert offenders == {}


def test_the_check_sees_a_call_per_row():
    helpers = {"current_organization_id", "acting_person_may"}
    assert per_row_calls("(organization_id = current_organization_id())", helpers)
    assert per_row_calls("( SELECT acting_person_may((x.kind)::text) AS acting_person_may)", helpers)
    assert not per_row_calls("(organization_id = ( SELECT current_organization_id() AS current_organization_id))",
                             helpers)
    assert not per_row_calls("( SELECT acting_person_may('users.manage'::text) AS acting_person_may)", helpers)


async def test_a_list_query_under_the_application_role_reads_the_scope_in_an_init_plan(fresh_dsn, db):
    org = await make_org(db)
    for name in ("Ann", "Ben", "Cat"):
        await make_member(db, org.id, name)
    explain = dataclasses.replace(Q.list_users, name="explain_list_users",
                                  sql="EXPLAIN (FORMAT JSON, VERBOSE) " + Q.list_users.sql)
    app = await app_database(fresh_dsn)
    try:
        async with app.organization(org.id) as tx:
            # The first page: every filter and cursor argument NULL, a page of 50.
            found = await raw(tx).value(explain, **{p: 50 if p == "limit" else None for p in explain.params})
    finally:
        await app.close()
    [plan] = json.loads(found) if isinstance(found, str) else found
    every = list(nodes(plan["Plan"]))
    init_plans = [n for n in every if n.get("Parent Relationship") == "InitPlan"]
    assert init_plans, "the scope is read in an InitPlan"
    assert any("current_setting" in " ".join(n.get("Output", [])) for n in init_plans)
    # No other node evaluates a setting: a row compares with the InitPlan's value.
    per_row = [n["Node Type"] for n in every if n.get("Parent Relationship") != "InitPlan"
               and "current_setting" in json.dumps({k: v for k, v in n.items() if k != "Plans"})]
    assert per_row == []
