from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "gridgov.evaluation"
    label = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import Scheme, Weight
        from .schemes import forget_schemes

        for model in (Scheme, Weight):
            post_save.connect(forget_schemes, sender=model, dispatch_uid=f"forget_schemes_on_save_{model.__name__}")
            post_delete.connect(forget_schemes, sender=model, dispatch_uid=f"forget_schemes_on_delete_{model.__name__}")
