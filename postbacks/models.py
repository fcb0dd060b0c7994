"""Which events go to which network, and the log of every delivery and attempt."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from hazelnut.secrets import EncryptedJSONField


class EventKind(models.TextChoices):
    INSTALL = "install"
    SIGNUP = "signup"
    PAYMENT = "payment"
    CUSTOM = "custom"
    REENGAGEMENT = "reengagement"


class PostbackEventMap(models.Model):
    """One of the project's events sent to one network under that network's event name."""

    project = models.ForeignKey(
        "attribution.Project", on_delete=models.CASCADE, related_name="postback_maps"
    )
    network = models.ForeignKey("attribution.AdNetwork", on_delete=models.CASCADE)
    event_kind = models.CharField(max_length=16, choices=EventKind.choices)
    source_event_name = models.CharField(
        max_length=500, blank=True, help_text="Custom events: the name the app sends."
    )
    network_event_name = models.CharField(max_length=200, help_text="e.g. Purchase, SIGN_UP.")
    send_revenue = models.BooleanField(default=True)
    only_attributed = models.BooleanField(
        default=True, help_text="Send only for users this network is credited with."
    )
    active = models.BooleanField(default=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["project", "network", "event_kind", "source_event_name"],
                name="postback_map_unique",
            ),
        )

    def __str__(self) -> str:
        return f"{self.event_kind} {self.source_event_name} -> {self.network_event_name}"

    def clean(self) -> None:
        if self.event_kind == EventKind.CUSTOM and not self.source_event_name:
            raise ValidationError(
                {"source_event_name": "A custom event map needs the event name the app sends."}
            )
        if self.event_kind not in (EventKind.CUSTOM, EventKind.PAYMENT) and self.source_event_name:
            raise ValidationError(
                {"source_event_name": "Only custom and payment events are picked by name."}
            )


class Delivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        RETRYING = "retrying"
        DELIVERED = "delivered"
        SKIPPED = "skipped"
        DEAD = "dead"

    project = models.ForeignKey(
        "attribution.Project", on_delete=models.CASCADE, related_name="deliveries"
    )
    destination = models.CharField(max_length=64, db_index=True, help_text="Network or webhook.")
    event_kind = models.CharField(max_length=16, choices=EventKind.choices)
    event_name = models.CharField(max_length=500, blank=True)
    # Stable for the life of the delivery: the dedup key and the id receivers see on retries.
    idempotency_key = models.CharField(max_length=200, unique=True)
    subject = models.JSONField(default=dict, help_text="Ids of the install, user and event.")
    # Encrypted at rest like the credentials it carries (tokens in URLs, headers and bodies).
    request = EncryptedJSONField(default=dict, help_text="The frozen request, same bytes each try.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # A worker holds the delivery while its attempt is on the wire; another worker (a redelivered
    # task, a replay) that finds a live lease does not send.
    lease_until = models.DateTimeField(null=True, blank=True)
    # A replay reopens a finished delivery: its try budget and expiry count from here.
    replayed_at = models.DateTimeField(null=True, blank=True)
    replay_base = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = (models.Index(fields=["state", "destination"]),)

    def __str__(self) -> str:
        return f"{self.destination} {self.event_kind} #{self.pk}"


class Attempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    transient = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["delivery", "number"], name="attempt_unique_number"),
        )

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
