"""`manage.py warehouse_migrate`: bring the warehouse schema (ClickHouse or SQL) up to date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hazelnut.warehouse import get_warehouse


class Command(BaseCommand):
    help = "Create or upgrade the warehouse tables (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        warehouse = get_warehouse()
        applied = warehouse.migrate()
        version = warehouse.schema_version()
        done = ", ".join(map(str, applied)) if applied else "nothing to apply"
        self.stdout.write(f"warehouse {warehouse.name}: schema version {version} ({done})")
