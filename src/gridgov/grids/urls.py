from django.urls import path

from . import views

app_name = "grids"
urlpatterns = [
    path("", views.map_page, name="map"),
    path("<str:code>/", views.region_detail, name="detail"),
]
