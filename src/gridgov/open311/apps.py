from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "gridgov.open311"
    label = "open311"
    verbose_name = _("Open311")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from gridgov.cases.models import Category

        from .models import ApiKey
        from .selectors import forget_catalogue, forget_key_table

        post_save.connect(forget_catalogue, sender=Category, dispatch_uid="forget_open311_catalogue_on_save")
        post_delete.connect(forget_catalogue, sender=Category, dispatch_uid="forget_open311_catalogue_on_delete")
        post_save.connect(forget_key_table, sender=ApiKey, dispatch_uid="forget_open311_keys_on_save")
        post_delete.connect(forget_key_table, sender=ApiKey, dispatch_uid="forget_open311_keys_on_delete")
