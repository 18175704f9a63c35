from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "gridgov.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from gridgov.workcalendar import forget_calendar

        from .models import CalendarDay, Case, Step
        from .selectors import forget_change_marks

        post_save.connect(forget_calendar, sender=CalendarDay, dispatch_uid="forget_calendar_on_save")
        post_delete.connect(forget_calendar, sender=CalendarDay, dispatch_uid="forget_calendar_on_delete")
        # A case changed in this process shows at once in its kept public answers (open311/views.py).
        for model in (Case, Step):
            post_save.connect(forget_change_marks, sender=model, dispatch_uid=f"forget_change_marks_on_{model.__name__}_save")
            post_delete.connect(forget_change_marks, sender=model, dispatch_uid=f"forget_change_marks_on_{model.__name__}_delete")
