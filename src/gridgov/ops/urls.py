from django.urls import path

from . import job_views

app_name = "jobs"

urlpatterns = [
    path("<str:token>/", job_views.job_status, name="status"),
    path("<str:token>/file", job_views.job_download, name="download"),
]
