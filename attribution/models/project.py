"""A project (one customer's app family), its store listings, signing keys and link domains."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from hazelnut import secrets
from hazelnut.secrets import EncryptedTextField


class Platform(models.TextChoices):
    ANDROID = "ANDROID", "Android"
    IOS = "IOS", "iOS"
    WEB = "WEB", "Web"


class Project(models.Model):
    name = models.CharField(max_length=200)
    token = models.CharField(max_length=64, unique=True, help_text="Sent by the SDKs in the body.")
    server_key_digest = models.CharField(max_length=64, unique=True, editable=False)
    server_key_prefix = models.CharField(
        max_length=12,
        editable=False,
        help_text="First characters of the server key, to tell keys apart.",
    )
    web_token = models.CharField(
        max_length=64, unique=True, help_text="Token of the web collector."
    )
    website = models.URLField(blank=True, help_text="Where links send desktop users by default.")
    allowed_origins = models.TextField(
        blank=True, help_text="Origins allowed to call the web collector, one per line."
    )
    webhook_url = models.URLField(blank=True, max_length=500)
    webhook_key = EncryptedTextField(blank=True, help_text="Sent as the linkrunner-key header.")
    webhook_signing_secret = EncryptedTextField(
        blank=True,
        help_text=(
            "Signs each webhook: X-Hazelnut-Signature is sha256= followed by the hex HMAC-SHA256, "
            "under this secret, of the X-Hazelnut-Timestamp value, a dot and the raw body. Never "
            "sent; empty sends no signature."
        ),
    )
    revenuecat_token_digest = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        db_index=True,
        help_text="Digest of the token RevenueCat sends (manage.py revenuecat_token).",
    )
    signature_required = models.BooleanField(
        default=False, help_text="Refuse SDK calls that are not HMAC-signed."
    )
    timezone = models.CharField(max_length=64, default="UTC")

    click_lookback_hours = models.PositiveIntegerField(default=7 * 24)
    probabilistic_window_hours = models.PositiveIntegerField(default=24)
    view_through_hours = models.PositiveIntegerField(default=24)
    reinstall_window_days = models.PositiveIntegerField(default=90)
    reengagement_inactivity_days = models.PositiveIntegerField(default=0)

    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def rotate_server_key(self) -> str:
        """Give the project a new server key; the plaintext is returned once and never stored."""
        key = secrets.new_token("hz_sk_", 32)
        self.server_key_digest = secrets.digest(key)
        self.server_key_prefix = key[:12]
        return key

    def check_server_key(self, key: str) -> bool:
        return secrets.matches_digest(key, self.server_key_digest)

    def rotate_revenuecat_token(self) -> str:
        """A new token for RevenueCat's Authorization header; the plaintext is returned once."""
        token = secrets.new_token("hz_rc_", 32)
        self.revenuecat_token_digest = secrets.digest(token)
        return token

    def origins(self) -> set[str]:
        return {
            line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()
        }

    @classmethod
    def new(cls, name: str, **fields: object) -> tuple[Project, str]:
        """An unsaved project with fresh tokens, and its server key in plaintext."""
        project = cls(
            name=name,
            token=secrets.new_token("hz_", 18),
            web_token=secrets.new_token("hz_web_", 18),
            webhook_signing_secret=secrets.new_token("hz_whsec_", 32),
            **fields,
        )
        key = project.rotate_server_key()
        return project, key


class App(models.Model):
    """A store listing of the project's app on one platform."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="apps")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    name = models.CharField(max_length=200)
    bundle_id = models.CharField(max_length=200, help_text="Android package name or iOS bundle id.")
    store_id = models.CharField(max_length=64, blank=True, help_text="App Store numeric id (iOS).")
    store_url = models.URLField(blank=True, max_length=500)
    meta_install_referrer_key = EncryptedTextField(
        blank=True, help_text="Hex key from Meta to decrypt its install referrer (Android)."
    )

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["project", "platform", "bundle_id"], name="app_unique"),
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    def clean(self) -> None:
        # Apple's SKAN postbacks name the app only by this id: it must lead to one project.
        if self.platform == Platform.IOS and self.store_id:
            taken = App.objects.filter(platform=Platform.IOS, store_id=self.store_id)
            if taken.exclude(project_id=self.project_id).exists():
                raise ValidationError(
                    {"store_id": "Another project has this App Store id; SKAN postbacks "
                     "could not tell the two apart."}
                )  # fmt: skip

    def store_link(self) -> str:
        if self.store_url:
            return self.store_url
        if self.platform == Platform.ANDROID:
            return f"https://play.google.com/store/apps/details?id={self.bundle_id}"
        if self.platform == Platform.IOS and self.store_id:
            return f"https://apps.apple.com/app/id{self.store_id}"
        return ""


class SigningCredential(models.Model):
    """An HMAC key an SDK signs its requests with, per platform (the LinkRunner CLI model)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="signing_keys")
    key_id = models.CharField(max_length=64, unique=True)
    secret = EncryptedTextField()
    platform = models.CharField(max_length=16, choices=Platform.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key_id

    @classmethod
    def new(cls, project: Project, platform: str) -> tuple[SigningCredential, str]:
        # A prefix keeps the secret from starting with "-", which command lines read as an option.
        secret = secrets.new_token("hz_ss_", 32)
        credential = cls(
            project=project, key_id=secrets.new_token("kid_", 9), secret=secret, platform=platform
        )
        return credential, secret


class Domain(models.Model):
    """A host serving the project's campaign links (ours or a customer CNAME)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="domains")
    host = models.CharField(max_length=253, unique=True)
    is_default = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.host
