from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "gridgov.open311"
    label = "open311"
    verbose_name = _("Open311")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from gridgov.cases.models import Case, Category

        from .models import ApiKey
        from .selectors import forget_catalogue, forget_key_table
        from .views import forget_rendered

        post_save.connect(forget_catalogue, sender=Category, dispatch_uid="forget_open311_catalogue_on_save")
        post_delete.connect(forget_catalogue, sender=Category, dispatch_uid="forget_open311_catalogue_on_delete")
        post_save.connect(forget_key_table, sender=ApiKey, dispatch_uid="forget_open311_keys_on_save")
        post_delete.connect(forget_key_table, sender=ApiKey, dispatch_uid="forget_open311_keys_on_delete")
        # Rendered GET answers: a deletion or a rename shows at once in this process (others
        # within views.RESPONSE_CACHE_SECONDS).
        post_delete.connect(forget_rendered, sender=Case, dispatch_uid="forget_open311_answers_on_case_delete")
        post_save.connect(forget_rendered, sender=Category, dispatch_uid="forget_open311_answers_on_category_save")
