from django.urls import path

from . import views

app_name = "economy"

urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.import_table, name="import"),
    path("export.xlsx", views.export_table, name="export"),
    path("export/", views.prepare_export, name="prepare-export"),
    path("briefing/", views.briefing, name="briefing"),
]
