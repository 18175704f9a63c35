from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EconomyConfig(AppConfig):
    name = "gridgov.economy"
    label = "economy"
    verbose_name = _("Economy")
