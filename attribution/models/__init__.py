"""The attribution app's models, one module per noun."""

from attribution.models.campaign import AdNetwork, Campaign, NetworkAccount
from attribution.models.click import Click
from attribution.models.event import CustomEvent, Payment
from attribution.models.install import Install, Reengagement, UserIdentity
from attribution.models.project import App, Domain, Platform, Project, SigningCredential
from attribution.models.skan import SkanConfig, SkanPostback

__all__ = [
    "AdNetwork",
    "App",
    "Campaign",
    "Click",
    "CustomEvent",
    "Domain",
    "Install",
    "NetworkAccount",
    "Payment",
    "Platform",
    "Project",
    "Reengagement",
    "SigningCredential",
    "SkanConfig",
    "SkanPostback",
    "UserIdentity",
]
