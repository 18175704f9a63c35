from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    path("", views.table_page, name="table"),
    path("cases/", views.cases_page, name="cases"),
    path("export.xlsx", views.export_table, name="export"),
    path("ledger.xlsx", views.export_ledger, name="ledger"),
    path("ledger/prepare/", views.prepare_ledger, name="prepare_ledger"),
    path("report/", views.report_page, name="report"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("dashboard/big/", views.big_screen, name="big"),
]
