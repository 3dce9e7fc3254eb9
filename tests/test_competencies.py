"""Competency framework: categories, competencies, scales, people's levels and gaps."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from foundation_support import make_member, make_org
from paging_support import page_after

from ikenei.errors import AlreadyExists, InvalidData, NotFound
from ikenei.repositories.competencies import LevelSpec

SCALE = [
    LevelSpec("Novice", "learning the basics"),
    LevelSpec("Practitioner"),
    LevelSpec("Expert"),
    LevelSpec("Leader"),
]


async def new_org(db, name: str = "Acme") -> UUID:
    return (await make_org(db, name=name)).id


async def new_member(db, organization_id: UUID) -> UUID:
    return (await make_member(db, organization_id)).id


async def competency_with_scale(db, organization_id: UUID, name: str, levels=SCALE, **kwargs):
    competency = await db.competencies.create(organization_id, name=name, **kwargs)
    await db.competencies.set_proficiency_levels(organization_id, competency.id, levels)
    return competency


# Categories


async def test_categories_list_shared_and_own_but_not_another_organizations(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    shared = await db.competencies.create_category(None, name="Leadership", sort_order=1)
    own = await db.competencies.create_category(
        acme, name="Engineering", description="craft", sort_order=2
    )
    await db.competencies.create_category(other, name="Sales", sort_order=0)

    listed = await db.competencies.list_categories(acme)

    assert [c.id for c in listed] == [shared.id, own.id]
    assert shared.organization_id is None and own.organization_id == acme
    assert await db.competencies.get_category(own.id) == own


async def test_category_name_taken_in_the_same_scope_is_refused(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    await db.competencies.create_category(acme, name="Engineering")
    await db.competencies.create_category(None, name="Leadership")

    with pytest.raises(AlreadyExists) as own_dup:
        await db.competencies.create_category(acme, name="Engineering")
    with pytest.raises(AlreadyExists) as shared_dup:
        await db.competencies.create_category(None, name="Leadership")

    assert own_dup.value.field == "name" and shared_dup.value.field == "name"
    assert len(await db.competencies.list_categories(acme)) == 2
    # Another organization may use the same name.
    await db.competencies.create_category(other, name="Engineering")


async def test_category_blank_name_is_refused(db):
    acme = await new_org(db)
    with pytest.raises(InvalidData) as refused:
        await db.competencies.create_category(acme, name="  ")
    assert refused.value.field == "name"
    assert await db.competencies.list_categories(acme) == []


async def test_update_category_keeps_its_owner(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    category = await db.competencies.create_category(acme, name="Engineering")

    renamed = await db.competencies.update_category(
        dataclasses.replace(category, name="Craft", description="how we build", sort_order=5)
    )
    assert (renamed.name, renamed.description, renamed.sort_order) == ("Craft", "how we build", 5)

    with pytest.raises(NotFound):
        await db.competencies.update_category(
            dataclasses.replace(renamed, organization_id=other, name="X")
        )
    with pytest.raises(NotFound):
        await db.competencies.update_category(
            dataclasses.replace(renamed, organization_id=None, name="X")
        )
    assert (await db.competencies.get_category(category.id)).name == "Craft"


async def test_deleting_a_category_in_use_leaves_its_competencies_uncategorised(db):
    acme = await new_org(db)
    category = await db.competencies.create_category(acme, name="Engineering")
    competency = await db.competencies.create(acme, name="Testing", category_id=category.id)

    await db.competencies.delete_category(acme, category.id)

    assert (await db.competencies.get(competency.id)).category_id is None
    with pytest.raises(NotFound):
        await db.competencies.get_category(category.id)


async def test_deleting_a_category_of_another_owner_is_refused(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    shared = await db.competencies.create_category(None, name="Leadership")
    own = await db.competencies.create_category(acme, name="Engineering")

    with pytest.raises(NotFound):
        await db.competencies.delete_category(other, own.id)
    with pytest.raises(NotFound):
        await db.competencies.delete_category(acme, shared.id)
    with pytest.raises(NotFound):
        await db.competencies.delete_category(None, own.id)

    assert len(await db.competencies.list_categories(acme)) == 2
    await db.competencies.delete_category(None, shared.id)
    assert [c.id for c in await db.competencies.list_categories(acme)] == [own.id]


async def test_missing_category_is_not_found(db):
    with pytest.raises(NotFound):
        await db.competencies.get_category(uuid4())


# Competencies


async def test_competencies_are_listed_by_organization_with_filters_and_pages(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    craft = await db.competencies.create_category(acme, name="Craft")
    testing = await db.competencies.create(
        acme,
        name="Testing",
        description="writes tests",
        category_id=craft.id,
        weight=Decimal("1.50"),
    )
    design = await db.competencies.create(
        acme, name="Design", category_id=craft.id, is_active=False
    )
    coaching = await db.competencies.create(acme, name="Coaching")
    await db.competencies.create(other, name="Selling")

    assert testing.weight == Decimal("1.50") and testing.description == "writes tests"
    assert await db.competencies.get(testing.id) == testing
    everything = await db.competencies.list(acme)
    assert [c.id for c in everything] == [coaching.id, design.id, testing.id]
    assert [c.id for c in await db.competencies.list(acme, category_id=craft.id)] == [
        design.id,
        testing.id,
    ]
    assert [c.id for c in await db.competencies.list(acme, is_active=True)] == [
        coaching.id,
        testing.id,
    ]
    assert [
        c.id for c in await db.competencies.list(acme, category_id=craft.id, is_active=False)
    ] == [design.id]
    first = await db.competencies.list(acme, limit=1)
    assert [c.id for c in await db.competencies.list(acme, limit=2, after=first.cursor)] == [
        design.id,
        testing.id,
    ]


async def test_competency_name_is_unique_per_organization_ignoring_case(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    first = await db.competencies.create(acme, name="Testing")

    with pytest.raises(AlreadyExists) as refused:
        await db.competencies.create(acme, name="TESTING")
    assert refused.value.field == "name"
    assert len(await db.competencies.list(acme)) == 1

    await db.competencies.create(other, name="Testing")
    # A deleted competency frees its name.
    await db.competencies.soft_delete(first.id)
    await db.competencies.create(acme, name="Testing")


async def test_competency_refuses_another_organizations_category_and_a_bad_weight(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    theirs = await db.competencies.create_category(other, name="Theirs")
    shared = await db.competencies.create_category(None, name="Leadership")

    with pytest.raises(InvalidData) as wrong_category:
        await db.competencies.create(acme, name="Testing", category_id=theirs.id)
    with pytest.raises(InvalidData) as zero_weight:
        await db.competencies.create(acme, name="Testing", weight=Decimal(0))
    with pytest.raises(InvalidData) as blank:
        await db.competencies.create(acme, name=" ")

    assert wrong_category.value.field == "category_id"
    assert zero_weight.value.field == "weight"
    assert blank.value.field == "name"
    assert await db.competencies.list(acme) == []
    assert (
        await db.competencies.create(acme, name="Testing", category_id=shared.id)
    ).category_id == shared.id


async def test_update_competency(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    craft = await db.competencies.create_category(acme, name="Craft")
    theirs = await db.competencies.create_category(other, name="Theirs")
    competency = await db.competencies.create(acme, name="Testing")

    updated = await db.competencies.update(
        dataclasses.replace(
            competency,
            name="Automated testing",
            description="d",
            category_id=craft.id,
            weight=Decimal("2.00"),
            is_active=False,
        )
    )

    assert (
        updated.name,
        updated.description,
        updated.category_id,
        updated.weight,
        updated.is_active,
    ) == ("Automated testing", "d", craft.id, Decimal("2.00"), False)
    with pytest.raises(InvalidData) as refused:
        await db.competencies.update(dataclasses.replace(updated, category_id=theirs.id))
    assert refused.value.field == "category_id"
    assert (await db.competencies.get(competency.id)).category_id == craft.id


async def test_soft_deleted_competency_is_gone(db):
    acme = await new_org(db)
    competency = await db.competencies.create(acme, name="Testing")

    await db.competencies.soft_delete(competency.id)

    with pytest.raises(NotFound):
        await db.competencies.get(competency.id)
    with pytest.raises(NotFound):
        await db.competencies.soft_delete(competency.id)
    with pytest.raises(NotFound):
        await db.competencies.update(competency)
    assert await db.competencies.list(acme) == []


# Proficiency levels


async def test_proficiency_levels_are_numbered_in_order_and_replaced_in_place(db):
    acme = await new_org(db)
    competency = await competency_with_scale(db, acme, "Testing")
    before = await db.competencies.list_proficiency_levels(competency.id)
    assert [(lv.level, lv.name, lv.description) for lv in before] == [
        (1, "Novice", "learning the basics"),
        (2, "Practitioner", None),
        (3, "Expert", None),
        (4, "Leader", None),
    ]

    after = await db.competencies.set_proficiency_levels(
        acme,
        competency.id,
        [LevelSpec("Beginner"), LevelSpec("Practitioner", "on their own"), LevelSpec("Expert")],
    )

    assert [(lv.level, lv.name, lv.description) for lv in after] == [
        (1, "Beginner", None),
        (2, "Practitioner", "on their own"),
        (3, "Expert", None),
    ]
    assert [lv.id for lv in after] == [lv.id for lv in before[:3]]
    assert await db.competencies.list_proficiency_levels(competency.id) == after


async def test_proficiency_levels_refuse_another_organizations_competency_and_more_than_ten(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    theirs = await db.competencies.create(other, name="Selling")
    ours = await db.competencies.create(acme, name="Testing")

    with pytest.raises(InvalidData) as wrong_org:
        await db.competencies.set_proficiency_levels(acme, theirs.id, SCALE)
    with pytest.raises(InvalidData) as too_many:
        await db.competencies.set_proficiency_levels(
            acme, ours.id, [LevelSpec(f"L{i}") for i in range(11)]
        )
    with pytest.raises(InvalidData) as blank:
        await db.competencies.set_proficiency_levels(
            acme, ours.id, [LevelSpec("ok"), LevelSpec(" ")]
        )

    assert wrong_org.value.field == "competency_id"
    assert too_many.value.field == "level"
    assert blank.value.field == "name"
    assert await db.competencies.list_proficiency_levels(theirs.id) == []
    assert await db.competencies.list_proficiency_levels(ours.id) == []


async def test_update_proficiency_level(db):
    acme = await new_org(db)
    competency = await competency_with_scale(db, acme, "Testing")
    level = (await db.competencies.list_proficiency_levels(competency.id))[1]

    updated = await db.competencies.update_proficiency_level(
        dataclasses.replace(level, name="Competent", description="works alone", level=9)
    )

    assert (updated.id, updated.level, updated.name, updated.description) == (
        level.id,
        2,
        "Competent",
        "works alone",
    )
    with pytest.raises(NotFound):
        await db.competencies.update_proficiency_level(dataclasses.replace(level, id=uuid4()))


async def test_a_level_someone_holds_cannot_be_deleted(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    competency = await competency_with_scale(db, acme, "Testing")
    levels = await db.competencies.list_proficiency_levels(competency.id)
    await db.competencies.set_level(
        acme, person, competency.id, current_level=2, target_level=4, source="self"
    )

    with pytest.raises(InvalidData) as held:
        await db.competencies.delete_proficiency_level(levels[1].id)
    with pytest.raises(InvalidData) as shrinking:
        await db.competencies.set_proficiency_levels(acme, competency.id, SCALE[:3])

    assert (held.value.field, held.value.reason) == (
        "current_level",
        "is still referenced by other rows",
    )
    assert (shrinking.value.field, shrinking.value.reason) == (
        "target_level",
        "is still referenced by other rows",
    )
    assert await db.competencies.list_proficiency_levels(competency.id) == levels

    await db.competencies.delete_proficiency_level(levels[2].id)
    assert [lv.level for lv in await db.competencies.list_proficiency_levels(competency.id)] == [
        1,
        2,
        4,
    ]
    with pytest.raises(NotFound):
        await db.competencies.delete_proficiency_level(levels[2].id)


# People's levels and their history


async def test_set_level_inserts_then_updates_and_history_records_each_change(db):
    acme = await new_org(db)
    person, manager = await new_member(db, acme), await new_member(db, acme)
    competency = await competency_with_scale(db, acme, "Testing")

    first = await db.competencies.set_level(
        acme, person, competency.id, current_level=1, target_level=3, source="self", set_by=person
    )
    second = await db.competencies.set_level(
        acme, person, competency.id, current_level=2, source="manager", set_by=manager
    )

    assert second.id == first.id
    assert (second.current_level, second.target_level, second.source, second.set_by) == (
        2,
        3,
        "manager",
        manager,
    )
    assert second.assessed_at > first.assessed_at
    assert await db.competencies.get_level(acme, person, competency.id) == second
    history = await db.competencies.history(acme, person, competency.id)
    assert [(h.current_level, h.target_level, h.source, h.set_by) for h in history] == [
        (2, 3, "manager", manager),
        (1, 3, "self", person),
    ]
    assert history[0].recorded_at > history[1].recorded_at
    assert len(await page_after(lambda c: db.competencies.history(acme, person, competency.id, limit=1, after=c), 1)) == 1


async def test_set_level_from_a_feedback_cycle_names_the_cycle(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    competency = await competency_with_scale(db, acme, "Testing")

    with pytest.raises(InvalidData) as refused:
        await db.competencies.set_level(
            acme, person, competency.id, current_level=2, source="feedback_cycle", cycle_id=uuid4()
        )

    assert refused.value.field == "cycle_id"
    assert await db.competencies.history(acme, person, competency.id) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"current_level": 5}, "current_level"),
        ({"target_level": 7}, "target_level"),
        ({"current_level": 0}, "current_level"),
        ({"current_level": 2, "source": "guess"}, "source"),
    ],
)
async def test_set_level_refuses_a_level_the_scale_lacks_or_a_bad_source(db, change, field):
    acme = await new_org(db)
    person = await new_member(db, acme)
    competency = await competency_with_scale(db, acme, "Testing")
    kept = await db.competencies.set_level(
        acme, person, competency.id, current_level=1, target_level=2, source="self"
    )

    with pytest.raises(InvalidData) as refused:
        await db.competencies.set_level(
            acme, person, competency.id, **{"source": "manager", **change}
        )

    assert refused.value.field == field
    assert await db.competencies.get_level(acme, person, competency.id) == kept
    assert len(await db.competencies.history(acme, person, competency.id)) == 1


async def test_set_level_refuses_another_organizations_competency_and_a_non_member(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    person, outsider = await new_member(db, acme), await new_member(db, other)
    theirs = await competency_with_scale(db, other, "Selling")
    ours = await competency_with_scale(db, acme, "Testing")

    with pytest.raises(InvalidData) as wrong_competency:
        await db.competencies.set_level(acme, person, theirs.id, current_level=1, source="self")
    with pytest.raises(InvalidData) as not_member:
        await db.competencies.set_level(acme, outsider, ours.id, current_level=1, source="self")

    assert wrong_competency.value.field == "competency_id"
    assert not_member.value.field == "user_id"
    assert await db.competencies.list_user_levels(acme, person) == []
    assert await db.competencies.list_user_levels(acme, outsider) == []
    with pytest.raises(NotFound):
        await db.competencies.get_level(acme, person, theirs.id)


async def test_list_user_levels_names_competencies_categories_and_levels(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    craft = await db.competencies.create_category(acme, name="Craft")
    testing = await competency_with_scale(db, acme, "Testing", category_id=craft.id)
    coaching = await competency_with_scale(db, acme, "Coaching")
    gone = await competency_with_scale(db, acme, "Gone")
    await db.competencies.set_level(
        acme, person, testing.id, current_level=2, target_level=4, source="self"
    )
    await db.competencies.set_level(acme, person, coaching.id, target_level=3, source="manager")
    await db.competencies.set_level(acme, person, gone.id, current_level=1, source="import")
    await db.competencies.soft_delete(gone.id)

    levels = await db.competencies.list_user_levels(acme, person)

    assert [
        (
            lv.competency_name,
            lv.category_name,
            lv.current_level,
            lv.current_level_name,
            lv.target_level,
            lv.target_level_name,
            lv.source,
        )
        for lv in levels
    ] == [
        ("Coaching", None, None, None, 3, "Expert", "manager"),
        ("Testing", "Craft", 2, "Practitioner", 4, "Leader", "self"),
    ]


async def test_gaps_list_competencies_below_target_largest_first(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    person = await new_member(db, acme)
    await db.organizations.add_member(other, person)
    craft = await db.competencies.create_category(acme, name="Craft")
    testing = await competency_with_scale(db, acme, "Testing", category_id=craft.id)
    design = await competency_with_scale(db, acme, "Design")
    coaching = await competency_with_scale(db, acme, "Coaching")
    reached = await competency_with_scale(db, acme, "Reached")
    untargeted = await competency_with_scale(db, acme, "Untargeted")
    inactive = await competency_with_scale(db, acme, "Inactive")
    theirs = await competency_with_scale(db, other, "Theirs")
    await db.competencies.set_level(
        acme, person, testing.id, current_level=1, target_level=3, source="self"
    )
    await db.competencies.set_level(
        acme, person, design.id, current_level=2, target_level=4, source="self"
    )
    await db.competencies.set_level(acme, person, coaching.id, target_level=3, source="manager")
    await db.competencies.set_level(
        acme, person, reached.id, current_level=4, target_level=3, source="self"
    )
    await db.competencies.set_level(acme, person, untargeted.id, current_level=1, source="self")
    await db.competencies.set_level(
        acme, person, inactive.id, current_level=1, target_level=4, source="self"
    )
    await db.competencies.update(dataclasses.replace(inactive, is_active=False))
    await db.competencies.set_level(
        other, person, theirs.id, current_level=1, target_level=4, source="self"
    )

    gaps = await db.competencies.gaps(acme, person)

    assert [
        (g.competency_name, g.category_name, g.current_level, g.target_level, g.gap) for g in gaps
    ] == [
        ("Coaching", None, 0, 3, 3),
        ("Design", None, 2, 4, 2),
        ("Testing", "Craft", 1, 3, 2),
    ]
    assert [g.competency_id for g in gaps] == [coaching.id, design.id, testing.id]
    assert gaps[2].category_id == craft.id
    assert await db.competencies.gaps(acme, await new_member(db, acme)) == []
