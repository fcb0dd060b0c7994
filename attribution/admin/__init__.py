"""Django admin for the attribution app: projects, campaigns, clicks, installs and events."""

from attribution.admin import campaign, install, project  # noqa: F401 - registers the admins
