from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "gridgov.evaluation"
    label = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from gridgov.cases.models import Step

        from .models import Scheme, Weight
        from .schemes import forget_schemes
        from .selectors import forget_figures

        # Every workflow step writes a Step row: this process sees its own changes at once;
        # other processes within selectors.STAMP_TTL_SECONDS (bulk intake writes no signal).
        post_save.connect(forget_figures, sender=Step, dispatch_uid="forget_evaluation_stamp_on_step")

        for model in (Scheme, Weight):
            post_save.connect(forget_schemes, sender=model, dispatch_uid=f"forget_schemes_on_save_{model.__name__}")
            post_delete.connect(forget_schemes, sender=model, dispatch_uid=f"forget_schemes_on_delete_{model.__name__}")
