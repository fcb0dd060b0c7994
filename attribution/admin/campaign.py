"""Admin of ad networks, network accounts and campaigns."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from attribution.models import AdNetwork, Campaign, NetworkAccount


@admin.register(AdNetwork)
class AdNetworkAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "kind",
    )
    list_filter = ("kind",)
    search_fields = (
        "code",
        "name",
    )


@admin.register(NetworkAccount)
class NetworkAccountAdmin(admin.ModelAdmin):
    list_display = (
        "project",
        "network",
        "account_id",
        "active",
    )
    list_filter = (
        "network",
        "active",
    )
    search_fields = (
        "account_id",
        "project__name",
    )


def _https_urls(field: models.Field[Any, Any], **options: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        options.setdefault("assume_scheme", "https")
    return field.formfield(**options)


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = "__all__"  # noqa: DJ007  (the admin's fieldsets choose what is shown)
        formfield_callback = _https_urls

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        project, listings = cleaned.get("project"), cleaned.get("store_listings")
        if project is not None and listings is not None:
            foreign = [app for app in listings if app.project_id != project.pk]
            if foreign:
                raise forms.ValidationError(
                    {"store_listings": f"{foreign[0]} belongs to another project."}
                )
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "display_id",
        "project",
        "network",
        "install_count",
        "click_count",
        "active",
        "created_at",
    )
    list_filter = (
        "active",
        "network",
        "project",
    )
    search_fields = (
        "name",
        "display_id",
        "ad_network_campaign_id",
    )
    form = CampaignForm
    filter_horizontal = ("store_listings",)
    date_hierarchy = "created_at"
    fieldsets = (
        (None, {"fields": ["project", "name", "display_id", "network", "domain", "active"]}),
        (
            "Redirects",
            {
                "fields": [
                    "deeplink",
                    "website",
                    "android_web_redirect",
                    "ios_web_redirect",
                    "store_listings",
                ]
            },
        ),
        (
            "Ad network ids",
            {
                "fields": [
                    "ad_network_campaign_id",
                    "group_name",
                    "ad_set_id",
                    "ad_set_name",
                    "ad_creative_id",
                    "ad_creative_name",
                ]
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        return (
            super()
            .get_queryset(request)
            .select_related("project", "network")
            .annotate(
                install_total=Count("installs", distinct=True),
                click_total=Count("clicks", distinct=True),
            )
        )

    @admin.display(description="installs", ordering="install_total")
    def install_count(self, campaign: Any) -> int:
        return int(campaign.install_total)

    @admin.display(description="clicks", ordering="click_total")
    def click_count(self, campaign: Any) -> int:
        return int(campaign.click_total)
