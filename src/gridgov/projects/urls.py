from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/problems/", views.raise_problem, name="raise-problem"),
    path("<int:pk>/stages/", views.record_stage, name="record-stage"),
    path("<int:pk>/stages/correct/", views.correct_stage, name="correct-stage"),
    path("problems/", views.open_problems, name="problems"),
    path("chains/", views.chain_list, name="chains"),
    path("chains/<slug:code>/", views.chain_detail, name="chain"),
    path("renewal/", views.renewal, name="renewal"),
]
