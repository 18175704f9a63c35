from django.urls import path

from . import views

app_name = "services"

urlpatterns = [
    path("", views.catalogue_page, name="catalogue"),
    path("catalogue.xlsx", views.catalogue_export, name="catalogue-export"),
    path("catalogue/export/", views.prepare_catalogue_export, name="prepare-catalogue-export"),
    path("catalogue/import/", views.catalogue_import, name="catalogue-import"),
    path("apply/<str:kind>/<str:code>/", views.apply, name="apply"),
    path("mine/", views.my_applications, name="mine"),
    path("window/", views.window, name="window"),
    path("inbox/", views.inbox, name="inbox"),
    path("statistics/", views.statistics, name="statistics"),
    path("statistics/export/", views.prepare_statistics_export, name="prepare-statistics-export"),
    path("rectifications/", views.rectifications, name="rectifications"),
    path("rectifications/<int:pk>/", views.rectification, name="rectification"),
    path("a/<str:number>/", views.detail, name="detail"),
]
