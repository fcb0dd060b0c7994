"""In-app events: payments and custom events, each stored once per its dedup key.

Event names are stored NFC-normalised so the same name typed in NFD groups together.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from attribution.models.campaign import Campaign
from attribution.models.install import Install
from attribution.models.project import Project


class PaymentType(models.TextChoices):
    FIRST_PAYMENT = "FIRST_PAYMENT"
    SECOND_PAYMENT = "SECOND_PAYMENT"
    WALLET_TOPUP = "WALLET_TOPUP"
    FUNDS_WITHDRAWAL = "FUNDS_WITHDRAWAL"
    SUBSCRIPTION_CREATED = "SUBSCRIPTION_CREATED"
    SUBSCRIPTION_RENEWED = "SUBSCRIPTION_RENEWED"
    ONE_TIME = "ONE_TIME"
    RECURRING = "RECURRING"
    DEFAULT = "DEFAULT"
    SUBSCRIPTION_CANCELLED = "SUBSCRIPTION_CANCELLED"
    SUBSCRIPTION_REFUNDED = "SUBSCRIPTION_REFUNDED"
    SUBSCRIPTION_BILLING_ISSUE = "SUBSCRIPTION_BILLING_ISSUE"


class PaymentStatus(models.TextChoices):
    PAYMENT_INITIATED = "PAYMENT_INITIATED"
    PAYMENT_COMPLETED = "PAYMENT_COMPLETED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    PAYMENT_CANCELLED = "PAYMENT_CANCELLED"


class Payment(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="payments")
    install = models.ForeignKey(Install, null=True, blank=True, on_delete=models.SET_NULL)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL)
    user_id = models.CharField(max_length=200, db_index=True)
    payment_id = models.CharField(max_length=200, blank=True)
    type = models.CharField(max_length=32, choices=PaymentType.choices, default=PaymentType.DEFAULT)
    status = models.CharField(
        max_length=32, choices=PaymentStatus.choices, default=PaymentStatus.PAYMENT_COMPLETED
    )
    amount = models.DecimalField(max_digits=18, decimal_places=4)
    currency = models.CharField(max_length=3, default="USD")
    event_data = models.JSONField(null=True, blank=True)
    # Kept so a payment that arrives before its install is linked when the install appears.
    install_instance_id = models.CharField(max_length=64, blank=True, db_index=True)
    occurred_at = models.DateTimeField(
        help_text="Effective time: the device's, unless ahead of us."
    )
    client_occurred_at = models.DateTimeField(
        null=True, blank=True, help_text="The time the device stamped, kept as sent."
    )
    # Stored before its install finished attribution: waits for the install to hand over its
    # campaign, then goes to the warehouse and the networks.
    parked = models.BooleanField(default=False, db_index=True)
    received_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["project", "type", "payment_id"],
                condition=~Q(payment_id=""),
                name="payment_unique_type_id",
            ),
        )

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.payment_id or 'no id'})"


class CustomEvent(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    install = models.ForeignKey(Install, null=True, blank=True, on_delete=models.SET_NULL)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL)
    user_id = models.CharField(max_length=200, blank=True, db_index=True)
    event_id = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=500)
    data = models.JSONField(null=True, blank=True)
    install_instance_id = models.CharField(max_length=64, blank=True, db_index=True)
    occurred_at = models.DateTimeField(
        help_text="Effective time: the device's, unless ahead of us."
    )
    client_occurred_at = models.DateTimeField(
        null=True, blank=True, help_text="The time the device stamped, kept as sent."
    )
    # Stored before its install finished attribution: waits for the install to hand over its
    # campaign, then goes to the warehouse and the networks.
    parked = models.BooleanField(default=False, db_index=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["project", "event_id"],
                condition=~Q(event_id=""),
                name="custom_event_unique_id",
            ),
        )

    def __str__(self) -> str:
        return self.name
