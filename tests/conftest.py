"""Fixtures shared by every test package."""

from __future__ import annotations

import pytest

from attribution.models import Project


@pytest.fixture
def project_with_key(db: None) -> tuple[Project, str]:
    project, key = Project.new("Test project", website="https://example.test")
    project.save()
    return project, key


@pytest.fixture
def project(project_with_key: tuple[Project, str]) -> Project:
    return project_with_key[0]
