"""The analytics tools a project forwards to, with their credentials encrypted at rest."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
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


# The credential keys each platform's client reads; the first group is required.
CREDENTIAL_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    AnalyticsPlatform.AMPLITUDE: (("api_key",), ()),
    AnalyticsPlatform.BRAZE: (("api_key",), ()),
    AnalyticsPlatform.CLEVERTAP: (("account_id", "passcode"), ("region",)),
    AnalyticsPlatform.MIXPANEL: (("project_id", "api_secret"), ()),
    AnalyticsPlatform.POSTHOG: (("api_key",), ()),
    AnalyticsPlatform.MOENGAGE: (("workspace_id", "data_api_key"), ("data_center",)),
    AnalyticsPlatform.GA4: (("firebase_app_id", "api_secret"), ()),
}
CREDENTIALS_HELP = "A JSON object. " + "; ".join(
    f"{platform.label}: {', '.join(required)}"
    + (f" (optional {', '.join(optional)})" if optional else "")
    for platform in AnalyticsPlatform
    for required, optional in [CREDENTIAL_KEYS[platform]]
)


class AnalyticsDestination(models.Model):
    project = models.ForeignKey(
        "attribution.Project", on_delete=models.CASCADE, related_name="analytics_destinations"
    )
    platform = models.CharField(max_length=16, choices=AnalyticsPlatform.choices)
    credentials = EncryptedJSONField(blank=True, default=dict, help_text=CREDENTIALS_HELP)
    endpoint = models.URLField(blank=True, help_text="Override of the platform's API host.")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["project", "platform"], name="analytics_unique"),
        )

    def __str__(self) -> str:
        return self.get_platform_display()

    def clean(self) -> None:
        credentials: Any = self.credentials
        if not isinstance(credentials, dict):
            raise ValidationError({"credentials": "Credentials must be a JSON object."})
        required, _ = CREDENTIAL_KEYS.get(self.platform, ((), ()))
        missing = [key for key in required if not credentials.get(key)]
        if missing:
            raise ValidationError(
                {"credentials": f"{self.get_platform_display()} needs {', '.join(missing)}."}
            )
