"""SKAN conversion values from a project's rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from attribution.events import skan
from attribution.models import Project, SkanConfig

RULES = [
    {"event": "signup", "fine": 4, "coarse": "low"},
    {"event": "payment", "fine": 20, "coarse": "medium"},
    {"event": "payment", "min_revenue": 50, "fine": 42, "coarse": "high", "lock": True},
    {"event": "레벨 완료", "fine": 9, "coarse": "low"},
    {"event": "payment", "fine": 99, "coarse": "high"},  # out of range: ignored
]


@pytest.mark.parametrize(
    ("event", "revenue", "expected"),
    [
        ("signup", None, (4, "low", False)),
        ("payment", Decimal("9.99"), (20, "medium", False)),
        ("payment", Decimal("50"), (42, "high", True)),
        ("payment", None, (20, "medium", False)),
        ("레벨 완료", None, (9, "low", False)),
    ],
)
def test_highest_matching_rule_wins(
    event: str, revenue: Decimal | None, expected: tuple[int, str, bool]
) -> None:
    values = skan.conversion_values(RULES, event, revenue)
    assert (
        values["fine_conversion_value"],
        values["coarse_conversion_value"],
        values["lock_postback"],
    ) == expected


def test_no_matching_rule_gives_no_fields() -> None:
    assert skan.conversion_values(RULES, "unmapped") == {}


@pytest.mark.parametrize(
    "raw", [{"event": "x", "fine": 64}, {"event": "x", "fine": 1, "coarse": "huge"}]
)
def test_invalid_rules_are_refused_by_the_parser(raw: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        skan.parse_rule(raw)


def test_project_config_is_read(project: Project) -> None:
    SkanConfig.objects.create(project=project, rules=RULES)
    assert skan.for_project(project.pk, "signup")["fine_conversion_value"] == 4
    SkanConfig.objects.filter(project=project).update(active=False)
    assert skan.for_project(project.pk, "signup") == {}


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([{"event": "payment", "fine": 99}], "Rule 1: fine conversion value must be within 0-63."),
        ([{"fine": 5}], "Rule 1 lacks 'event'."),
        ({"event": "signup"}, "Rules must be a JSON list of objects."),
        ([{"event": "signup", "fine": 1, "coarse": "huge"}], "Rule 1: coarse conversion value"),
        ([{"event": "payment", "fine": 1, "min_revenue": "abc"}], "min_revenue must be a number"),
    ],
)
def test_a_config_with_a_bad_rule_is_refused_when_saved(
    project: Project, rules: object, message: str
) -> None:
    config = SkanConfig(project=project, rules=rules)
    with pytest.raises(ValidationError) as refused:
        config.full_clean()
    assert message in refused.value.message_dict["rules"][0]
