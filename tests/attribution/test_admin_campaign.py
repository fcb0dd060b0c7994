"""The campaign admin refuses what would make a link that cannot work."""

from __future__ import annotations

import pytest

from attribution.admin.campaign import CampaignForm
from attribution.models import App, Platform, Project

pytestmark = pytest.mark.django_db


def _form(project: Project, **changes: object) -> CampaignForm:
    data = {
        "project": project.pk,
        "name": "Spring",
        "display_id": "spring",
        "deeplink": "myapp://promo",
        "active": "on",
        **changes,
    }
    return CampaignForm(data=data)


def test_a_well_formed_campaign_is_accepted(project: Project) -> None:
    mine = App.objects.create(
        project=project, platform=Platform.ANDROID, name="A", bundle_id="com.mine"
    )
    form = _form(project, store_listings=[mine.pk])

    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"display_id": "has space/slash"}, "display_id"),
        ({"deeplink": "not a url"}, "deeplink"),
    ],
)
def test_a_display_id_or_deep_link_that_cannot_work_is_refused(
    project: Project, changes: dict[str, object], field: str
) -> None:
    form = _form(project, **changes)

    assert not form.is_valid()
    assert list(form.errors) == [field]


def test_another_projects_store_listing_is_refused(project: Project) -> None:
    other, _ = Project.new("Other")
    other.save()
    theirs = App.objects.create(
        project=other, platform=Platform.IOS, name="B", bundle_id="com.theirs"
    )
    form = _form(project, store_listings=[theirs.pk])

    assert not form.is_valid()
    assert "belongs to another project" in form.errors["store_listings"][0]
