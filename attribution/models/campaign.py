"""Ad networks, the project's accounts on them, and campaigns with their links."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

from attribution.models.project import App, Domain, Project
from hazelnut.secrets import EncryptedJSONField


class AdNetwork(models.Model):
    """A paid source: a self-attributing network (Meta, Google...) or an affiliate."""

    class Kind(models.TextChoices):
        SELF_ATTRIBUTING = "SAN", "Self-attributing network"
        AD_NETWORK = "NETWORK", "Ad network"
        AFFILIATE = "AFFILIATE", "Affiliate"

    code = models.CharField(max_length=64, unique=True, help_text="GOOGLE, META, TIKTOK, ...")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.AD_NETWORK)
    postback_url_template = models.TextField(
        blank=True, help_text="Affiliates: URL with macros such as {click_id} and {event_name}."
    )

    def __str__(self) -> str:
        return self.name


class NetworkAccount(models.Model):
    """The project's credentials on one network; encrypted at rest."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="network_accounts")
    network = models.ForeignKey(AdNetwork, on_delete=models.PROTECT, related_name="accounts")
    account_id = models.CharField(max_length=128, blank=True)
    credentials = EncryptedJSONField(
        blank=True,
        default=dict,
        help_text=(
            "A JSON object. Meta: dataset_id, access_token (optional test_event_code). Google "
            "Ads: dev_token, link_id. TikTok: access_token, tiktok_app_id. Snapchat: "
            "snap_app_id, access_token. Apple Search Ads needs none. Optional for tests and "
            "proxies: endpoint (a host the network's API path is appended to) and, for Apple "
            "and Google attribution lookups, base_url (the full lookup URL)."
        ),
    )
    active = models.BooleanField(default=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["project", "network", "account_id"], name="network_account_unique"
            ),
        )

    def __str__(self) -> str:
        return f"{self.network.code} {self.account_id}".strip()


class Campaign(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="campaigns")
    display_id = models.CharField(
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9_-]+$", "Only letters, digits, '-' and '_' (it is a URL path)."
            )
        ],
        help_text="The id in the link.",
    )
    name = models.CharField(max_length=200)
    network = models.ForeignKey(
        AdNetwork, null=True, blank=True, on_delete=models.PROTECT, related_name="campaigns"
    )
    domain = models.ForeignKey(Domain, null=True, blank=True, on_delete=models.SET_NULL)
    store_listings = models.ManyToManyField(App, blank=True, related_name="campaigns")

    deeplink = models.CharField(
        max_length=1000,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", "A URL with a scheme, such as myapp://promo."
            )
        ],
    )
    website = models.URLField(blank=True, max_length=1000, help_text="Link for desktop users.")
    android_web_redirect = models.URLField(blank=True, max_length=1000)
    ios_web_redirect = models.URLField(blank=True, max_length=1000)

    ad_network_campaign_id = models.CharField(max_length=128, blank=True, db_index=True)
    group_name = models.CharField(max_length=200, blank=True)
    ad_set_id = models.CharField(max_length=128, blank=True)
    ad_set_name = models.CharField(max_length=200, blank=True)
    ad_creative_id = models.CharField(max_length=128, blank=True)
    ad_creative_name = models.CharField(max_length=200, blank=True)

    # Registered by Hazelnut the first time a network's answer named it (Apple, Google, Meta);
    # such a campaign has no link of its own, only the network's id and name.
    reported_by_network = models.BooleanField(default=False)

    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = (
            models.UniqueConstraint(
                fields=["project", "network", "ad_network_campaign_id"],
                condition=models.Q(reported_by_network=True),
                name="campaign_reported_by_network_unique",
            ),
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.display_id})"

    @property
    def network_code(self) -> str | None:
        network = self.network
        return network.code if network is not None else None
