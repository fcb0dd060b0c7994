"""The outbox: accepted work that could not be published while the broker was unreachable."""

from __future__ import annotations

from django.db import models


class OutboxMessage(models.Model):
    task_name = models.CharField(max_length=200)
    payload = models.JSONField(help_text="Keyword arguments of the task.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.task_name} #{self.pk}"
