"""The campaign and app admin refuse what would make links or SKAN postbacks go wrong."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

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


def test_an_app_store_id_belongs_to_one_project(project: Project) -> None:
    App.objects.create(
        project=project, platform=Platform.IOS, name="A", bundle_id="com.a", store_id="123"
    )
    other, _ = Project.new("Other")
    other.save()
    twin = App(project=other, platform=Platform.IOS, name="B", bundle_id="com.b", store_id="123")

    with pytest.raises(ValidationError) as refused:
        twin.full_clean()
    assert "Another project has this App Store id" in refused.value.message_dict["store_id"][0]
    App(
        project=project, platform=Platform.IOS, name="A2", bundle_id="com.a2", store_id="123"
    ).full_clean()
