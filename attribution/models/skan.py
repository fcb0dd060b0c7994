"""SKAdNetwork: the project's conversion-value schema and the postbacks Apple sends us."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from attribution.models.project import Project


class SkanConfig(models.Model):
    """Maps events and revenue to fine (0-63) and coarse conversion values.

    `rules` is a list of {"event": name or "payment", "min_revenue": number, "fine": 0-63,
    "coarse": "low"|"medium"|"high", "lock": bool}; the highest matching fine value wins.
    """

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="skan_config")
    rules = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            'A list of rules such as {"event": "payment", "min_revenue": 9.99, "fine": 40, '
            '"coarse": "high", "lock": true}: event is signup, payment or a custom event name; '
            "fine 0-63; coarse low, medium or high; the highest matching fine value wins."
        ),
    )
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"SKAN schema of {self.project}"

    def clean(self) -> None:
        from attribution.events.skan import parse_rule

        rules: Any = self.rules
        if not isinstance(rules, list):
            raise ValidationError({"rules": "Rules must be a JSON list of objects."})
        for number, rule in enumerate(rules, start=1):
            try:
                if not isinstance(rule, dict):
                    raise TypeError("not an object")
                parse_rule(rule)
            except KeyError as missing:
                raise ValidationError({"rules": f"Rule {number} lacks {missing}."}) from None
            except (TypeError, ValueError) as error:
                raise ValidationError({"rules": f"Rule {number}: {error}."}) from None


class SkanPostback(models.Model):
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="skan_postbacks"
    )
    transaction_id = models.CharField(max_length=128, unique=True)
    ad_network_id = models.CharField(max_length=128, blank=True)
    app_id = models.CharField(max_length=64, blank=True)
    source_identifier = models.CharField(max_length=16, blank=True)
    fine_conversion_value = models.PositiveSmallIntegerField(null=True, blank=True)
    coarse_conversion_value = models.CharField(max_length=8, blank=True)
    did_win = models.BooleanField(default=False)
    verified = models.BooleanField(
        default=False, help_text="Apple's attribution-signature checked against its public key."
    )
    postback_sequence_index = models.PositiveSmallIntegerField(default=0)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.transaction_id
