"""URLs of the case pages: staff pages under /cases/ (namespace ``cases``) and the public
intake and look-up under /report/ (namespace ``report``, ``public_urls``)."""

from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/dispatch/", views.dispatch_batch, name="dispatch_batch"),
    path("map/", views.case_map, name="map"),
    path("patrol/", views.patrol, name="patrol"),
    path("photos/<int:pk>/<str:size>/", views.photo, name="photo"),
    path("<str:number>/", views.case_detail, name="detail"),
    path("<str:number>/act/<str:action>/", views.case_action, name="act"),
    path("<str:number>/reporter/", views.reveal_reporter, name="reveal_reporter"),
    path("<str:number>/place/", views.case_place, name="place"),
]

public_urls = (
    [
        path("", views.report, name="new"),
        path("done/", views.report_done, name="done"),
        path("similar/", views.similar, name="similar"),
        path("lookup/", views.lookup, name="lookup"),
        path("rate/", views.rate, name="rate"),
        path("metoo/", views.me_too, name="me_too"),
        path("sw.js", views.service_worker, name="sw"),
        path("photo/<str:token>/", views.public_photo, name="photo"),
        path("mine/<str:number>/", views.my_case, name="mine"),
    ],
    "report",
)
