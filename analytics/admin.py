"""Admin for the analytics tools each project forwards its installs and events to."""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from analytics.models import AnalyticsDestination


@admin.register(AnalyticsDestination)
class AnalyticsDestinationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("project", "platform", "endpoint", "active")
    list_filter = ("platform", "active")
    search_fields = ("project__name",)
    autocomplete_fields = ("project",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # noqa: RUF012
