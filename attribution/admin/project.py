"""Admin of projects and what hangs off them: apps, signing keys, domains, SKAN schema."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from attribution.models import App, Domain, Project, SigningCredential, SkanConfig, SkanPostback


class AppInline(admin.TabularInline):
    model = App
    extra = 0
    fields = (
        "platform",
        "name",
        "bundle_id",
        "store_id",
        "store_url",
    )


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class SigningCredentialInline(admin.TabularInline):
    model = SigningCredential
    extra = 0
    fields = (
        "key_id",
        "platform",
        "active",
        "created_at",
    )
    readonly_fields = (
        "key_id",
        "created_at",
    )
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Secrets are minted by `manage.py createproject --with-signing-key`, shown only once.
        return False


class SkanConfigInline(admin.StackedInline):
    model = SkanConfig
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "token",
        "server_key_prefix",
        "campaign_count",
        "install_count",
        "signature_required",
        "active",
        "created_at",
    )
    list_filter = (
        "active",
        "signature_required",
    )
    search_fields = (
        "name",
        "token",
    )
    readonly_fields = (
        "token",
        "web_token",
        "server_key_prefix",
        "created_at",
    )
    inlines = (
        AppInline,
        DomainInline,
        SigningCredentialInline,
        SkanConfigInline,
    )
    actions = ("rotate_server_key", "rotate_revenuecat_token")
    fieldsets = (
        (None, {"fields": ["name", "active", "token", "web_token", "server_key_prefix"]}),
        ("Links", {"fields": ["website", "allowed_origins", "timezone"]}),
        ("Webhook", {"fields": ["webhook_url", "webhook_key", "webhook_signing_secret"]}),
        ("Security", {"fields": ["signature_required"]}),
        (
            "Attribution windows",
            {
                "fields": [
                    "click_lookback_hours",
                    "probabilistic_window_hours",
                    "view_through_hours",
                    "reinstall_window_days",
                    "reengagement_inactivity_days",
                ]
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                campaign_total=Count("campaigns", distinct=True),
                install_total=Count("installs", distinct=True),
            )
        )

    @admin.display(description="campaigns", ordering="campaign_total")
    def campaign_count(self, project: Any) -> int:
        return int(project.campaign_total)

    @admin.display(description="installs", ordering="install_total")
    def install_count(self, project: Any) -> int:
        return int(project.install_total)

    def save_model(self, request: HttpRequest, obj: Project, form: Any, change: bool) -> None:
        if not change:
            fresh, key = Project.new(obj.name)
            obj.token, obj.web_token = fresh.token, fresh.web_token
            obj.webhook_signing_secret = obj.webhook_signing_secret or fresh.webhook_signing_secret
            obj.server_key_digest, obj.server_key_prefix = (
                fresh.server_key_digest,
                fresh.server_key_prefix,
            )
            messages.warning(request, f"Server key (shown once): {key}")
        super().save_model(request, obj, form, change)

    @admin.action(description="Rotate the server API key (shown once)")
    def rotate_server_key(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        for project in queryset:
            key = project.rotate_server_key()
            project.save(update_fields=["server_key_digest", "server_key_prefix"])
            messages.warning(request, f"{project.name}: new server key {key}")

    @admin.action(description="Make a new RevenueCat webhook token (shown once)")
    def rotate_revenuecat_token(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        for project in queryset:
            token = project.rotate_revenuecat_token()
            project.save(update_fields=["revenuecat_token_digest"])
            messages.warning(request, f"{project.name}: RevenueCat Authorization header {token}")


@admin.register(SkanPostback)
class SkanPostbackAdmin(admin.ModelAdmin):
    list_display = (
        "transaction_id",
        "project",
        "ad_network_id",
        "fine_conversion_value",
        "coarse_conversion_value",
        "did_win",
        "verified",
        "received_at",
    )
    list_filter = (
        "did_win",
        "verified",
        "project",
    )
    search_fields = (
        "transaction_id",
        "ad_network_id",
    )
