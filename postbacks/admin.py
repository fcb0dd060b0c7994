"""Admin for the postback mappings and the delivery log, with a replay action."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from postbacks import frozen, replay
from postbacks.models import Attempt, Delivery, PostbackEventMap


@admin.register(PostbackEventMap)
class PostbackEventMapAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "project", "network", "event_kind", "source_event_name", "network_event_name",
        "send_revenue", "only_attributed", "active",
    )  # fmt: skip
    list_filter = ("network", "event_kind", "active", "only_attributed")
    search_fields = ("source_event_name", "network_event_name", "project__name")
    autocomplete_fields = ("project",)


class AttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Attempt
    extra = 0
    can_delete = False
    fields = ("number", "response_status", "latency_ms", "transient", "error", "created_at")
    readonly_fields = fields
    ordering = ("number",)

    def has_add_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "id", "project", "destination", "event_kind", "event_name", "state",
        "attempt_count", "last_error", "created_at", "finished_at",
    )  # fmt: skip
    list_filter = ("state", "destination", "event_kind", "created_at")
    search_fields = ("idempotency_key", "event_name", "last_error")
    date_hierarchy = "created_at"
    readonly_fields = (
        "project", "destination", "event_kind", "event_name", "idempotency_key", "subject",
        "sent_request", "state", "attempt_count", "last_error", "created_at", "next_attempt_at",
        "finished_at", "lease_until", "replayed_at", "replay_base",
    )  # fmt: skip
    inlines = (AttemptInline,)
    actions = ("replay_selected",)
    list_select_related = ("project",)

    exclude = ("request",)

    @admin.display(description="request (credentials hidden)")
    def sent_request(self, delivery: Delivery) -> str:
        return json.dumps(frozen.redacted(delivery.request), indent=2, sort_keys=True)

    @admin.action(description="Replay selected dead deliveries (current credentials, same id)")
    def replay_selected(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        reopened = replay.replay(ids)
        level = messages.SUCCESS if reopened else messages.WARNING
        self.message_user(
            request,
            f"Replaying {len(reopened)} of {len(ids)} (only dead ones are replayed).",
            level,
        )
