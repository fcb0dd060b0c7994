"""A click on a campaign link (or a web page view carrying campaign parameters)."""

from __future__ import annotations

from django.db import models

from attribution.models.campaign import Campaign
from attribution.models.project import Project


class Click(models.Model):
    """Stored once per click id: the unique constraint is the click pipeline's dedup."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="clicks")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="clicks"
    )
    click_id = models.CharField(max_length=64, unique=True)
    clicked_at = models.DateTimeField(db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)
    platform = models.CharField(max_length=16, blank=True)
    os_version = models.CharField(max_length=32, blank=True)
    device_type = models.CharField(max_length=16, blank=True)
    in_app_browser = models.CharField(max_length=32, blank=True)
    gaid = models.CharField(max_length=64, blank=True, db_index=True)
    idfa = models.CharField(max_length=64, blank=True, db_index=True)
    utm = models.JSONField(default=dict, blank=True)
    ad_click_ids = models.JSONField(default=dict, blank=True, help_text="gclid, gbraid, fbclid...")
    url = models.TextField(blank=True)
    is_view = models.BooleanField(default=False, help_text="An impression (view-through).")
    # Set when an install claims this click, so one click never attributes two installs.
    claimed_by_install_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = (models.Index(fields=["project", "clicked_at"]),)

    def __str__(self) -> str:
        return self.click_id
