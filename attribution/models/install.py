"""Installs (one per install_instance_id), the users signed up on them and re-engagements."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from attribution.models.campaign import Campaign
from attribution.models.click import Click
from attribution.models.project import Project


class AttributionType(models.TextChoices):
    ORGANIC = "ORGANIC", "Organic"
    INORGANIC = "INORGANIC", "Paid"


class Install(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending attribution"
        ATTRIBUTED = "ATTRIBUTED", "Attributed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="installs")
    install_instance_id = models.CharField(max_length=64)
    platform = models.CharField(max_length=16)
    app_version = models.CharField(max_length=64, blank=True)
    package_version = models.CharField(max_length=64, blank=True)
    gaid = models.CharField(max_length=64, blank=True, db_index=True)
    idfa = models.CharField(max_length=64, blank=True, db_index=True)
    idfv = models.CharField(max_length=64, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)
    device_data = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attribution_type = models.CharField(
        max_length=16, choices=AttributionType.choices, default=AttributionType.ORGANIC
    )
    source = models.CharField(max_length=32, blank=True, help_text="The strategy that won.")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="installs"
    )
    network_code = models.CharField(max_length=64, blank=True)
    click = models.ForeignKey(Click, null=True, blank=True, on_delete=models.SET_NULL)
    contributors = models.JSONField(default=list, blank=True, help_text="Assisting networks.")
    decision = models.JSONField(default=dict, blank=True, help_text="How the winner was chosen.")

    is_reinstall = models.BooleanField(default=False)
    reinstall_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reinstalls"
    )
    installed_at = models.DateTimeField(db_index=True)
    store_click_at = models.DateTimeField(null=True, blank=True)
    attributed_at = models.DateTimeField(null=True, blank=True)
    # Set once everything an attributed install hands downstream (warehouse row, postback and
    # analytics fan-out, the install_attributed signal) is durable; the sweeper re-publishes
    # attributed installs still without it (attribution.sweeper).
    fanout_published_at = models.DateTimeField(null=True, blank=True)
    # The last time the sweeper re-drove this install while it was pending: at most once a grace.
    redriven_at = models.DateTimeField(null=True, blank=True)
    # When a legacy SDK reported opening the deferred deep link `trigger` handed it.
    deeplink_opened_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField()
    session_count = models.PositiveIntegerField(default=1)
    push_token = models.TextField(blank=True)
    integrations = models.JSONField(default=dict, blank=True)
    customer_user_id = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["project", "install_instance_id"], name="install_unique_instance"
            ),
        )
        indexes = (
            models.Index(fields=["project", "installed_at"]),
            # Partial indexes keep the sweeper's two scans to the few rows they look for.
            models.Index(
                fields=["installed_at"], name="install_pending", condition=Q(status="PENDING")
            ),
            models.Index(
                fields=["attributed_at"],
                name="install_fanout_unpublished",
                condition=Q(status="ATTRIBUTED", fanout_published_at__isnull=True),
            ),
        )

    def __str__(self) -> str:
        return self.install_instance_id


class UserIdentity(models.Model):
    """A user the app signed up (`trigger`), mapped to the install it signed up on."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="users")
    user_id = models.CharField(max_length=200)
    install = models.ForeignKey(
        Install, null=True, blank=True, on_delete=models.SET_NULL, related_name="users"
    )
    name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=320, blank=True)
    phone = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "user identities"
        constraints = (
            models.UniqueConstraint(fields=["project", "user_id"], name="user_identity_unique"),
        )
        # The parked-event sweep looks for the few signups still waiting, oldest first.
        indexes = (
            models.Index(
                fields=["created_at"], name="user_identity_parked", condition=Q(data__parked=True)
            ),
        )

    def __str__(self) -> str:
        return self.user_id


class Reengagement(models.Model):
    """A returning user credited to a campaign by a deep-link open or a paid reinstall."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reengagements")
    install = models.ForeignKey(Install, on_delete=models.CASCADE, related_name="reengagements")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL)
    trigger = models.CharField(max_length=32, help_text="deeplink or reinstall")
    deeplink_url = models.TextField(blank=True)
    occurred_at = models.DateTimeField()
    dedup_key = models.CharField(max_length=128, unique=True)

    def __str__(self) -> str:
        return f"{self.install_id} {self.trigger}"
