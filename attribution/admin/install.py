"""Admin of clicks, installs (with their decision trace), users and in-app events."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.utils.html import format_html

from attribution.models import Click, CustomEvent, Install, Payment, Reengagement, UserIdentity


@admin.register(Click)
class ClickAdmin(admin.ModelAdmin):
    list_display = (
        "click_id",
        "campaign",
        "platform",
        "in_app_browser",
        "ip",
        "clicked_at",
    )
    list_filter = (
        "platform",
        "in_app_browser",
        "is_view",
        "project",
    )
    search_fields = (
        "click_id",
        "campaign__name",
        "campaign__display_id",
    )
    date_hierarchy = "clicked_at"
    list_select_related = ("campaign",)


class UserIdentityInline(admin.TabularInline):
    model = UserIdentity
    extra = 0
    fields = (
        "user_id",
        "created_at",
    )
    readonly_fields = (
        "user_id",
        "created_at",
    )


@admin.register(Install)
class InstallAdmin(admin.ModelAdmin):
    list_display = (
        "install_instance_id",
        "project",
        "platform",
        "attribution_type",
        "source",
        "campaign",
        "network_code",
        "is_reinstall",
        "installed_at",
    )
    list_filter = (
        "attribution_type",
        "source",
        "platform",
        "is_reinstall",
        "status",
        "project",
    )
    search_fields = (
        "install_instance_id",
        "campaign__name",
        "campaign__display_id",
    )
    date_hierarchy = "installed_at"
    list_select_related = (
        "campaign",
        "project",
    )
    readonly_fields = ("decision_trace",)
    exclude = ("decision",)
    inlines = (UserIdentityInline,)

    @admin.display(description="decision trace")
    def decision_trace(self, install: Install) -> Any:
        return format_html("<pre>{}</pre>", json.dumps(install.decision, indent=2, sort_keys=True))


@admin.register(UserIdentity)
class UserIdentityAdmin(admin.ModelAdmin):
    list_display = (
        "user_id",
        "project",
        "install",
        "created_at",
    )
    list_filter = ("project",)
    search_fields = ("user_id",)
    list_select_related = (
        "install",
        "project",
    )


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = (
        "payment_id",
        "user_id",
        "type",
        "status",
        "amount",
        "currency",
        "campaign",
    )
    list_filter = (
        "type",
        "status",
        "currency",
        "project",
    )
    search_fields = (
        "payment_id",
        "user_id",
    )
    date_hierarchy = "occurred_at"


@admin.register(CustomEvent)
class CustomEventAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "user_id",
        "event_id",
        "campaign",
        "occurred_at",
    )
    list_filter = ("project",)
    search_fields = (
        "name",
        "event_id",
        "user_id",
    )
    date_hierarchy = "occurred_at"


@admin.register(Reengagement)
class ReengagementAdmin(admin.ModelAdmin):
    list_display = (
        "install",
        "trigger",
        "campaign",
        "occurred_at",
    )
    list_filter = (
        "trigger",
        "project",
    )
