"""The outbox of unpublished work, and the key pairs of the encrypted web collector."""

from __future__ import annotations

from django.db import models

from hazelnut.secrets import EncryptedTextField


class OutboxMessage(models.Model):
    task_name = models.CharField(max_length=200)
    payload = models.JSONField(help_text="Keyword arguments of the task.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.task_name} #{self.pk}"


class WebCollectorKey(models.Model):
    """A P-256 key pair the web SDK encrypts page events to (its `keyId` / `publicKey`)."""

    project = models.ForeignKey(
        "attribution.Project", on_delete=models.CASCADE, related_name="web_collector_keys"
    )
    key_id = models.CharField(max_length=64, unique=True)
    private_key = EncryptedTextField(help_text="PKCS#8 PEM, encrypted at rest.")
    public_key = models.CharField(
        max_length=100, help_text="Uncompressed point, base64url: paste into the web SDK config."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key_id
