from django.urls import path

from . import views

app_name = "services"

urlpatterns = [
    path("", views.catalogue_page, name="catalogue"),
    path("catalogue.xlsx", views.catalogue_export, name="catalogue-export"),
    path("apply/<str:kind>/<str:code>/", views.apply, name="apply"),
    path("mine/", views.my_applications, name="mine"),
    path("window/", views.window, name="window"),
    path("inbox/", views.inbox, name="inbox"),
    path("statistics/", views.statistics, name="statistics"),
    path("rectifications/", views.rectifications, name="rectifications"),
    path("rectifications/<int:pk>/", views.rectification, name="rectification"),
    path("a/<str:number>/", views.detail, name="detail"),
]
