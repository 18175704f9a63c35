from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "gridgov.services"
    label = "services"
    verbose_name = _("One-stop services")

    def ready(self) -> None:
        # The statistics page's finished months are kept in the evaluation's tables
        # (``selectors.KEPT_APPLICATIONS``), counted by its hourly task too.
        from gridgov.evaluation.services import register

        from .selectors import KEPT_APPLICATIONS

        register(KEPT_APPLICATIONS)
