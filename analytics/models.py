"""The analytics tools a project forwards to, with their credentials encrypted at rest."""

from __future__ import annotations

from django.db import models

from hazelnut.secrets import EncryptedJSONField


class AnalyticsPlatform(models.TextChoices):
    AMPLITUDE = "amplitude", "Amplitude"
    BRAZE = "braze", "Braze"
    CLEVERTAP = "clevertap", "CleverTap"
    MIXPANEL = "mixpanel", "Mixpanel"
    POSTHOG = "posthog", "PostHog"
    MOENGAGE = "moengage", "MoEngage"
    GA4 = "ga4", "Google Analytics 4"


class AnalyticsDestination(models.Model):
    project = models.ForeignKey(
        "attribution.Project", on_delete=models.CASCADE, related_name="analytics_destinations"
    )
    platform = models.CharField(max_length=16, choices=AnalyticsPlatform.choices)
    credentials = EncryptedJSONField(blank=True, default=dict)
    endpoint = models.URLField(blank=True, help_text="Override of the platform's API host.")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["project", "platform"], name="analytics_unique"),
        )

    def __str__(self) -> str:
        return self.get_platform_display()
