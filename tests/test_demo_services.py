"""The demo's services reproduce the article's counts through the statistics selectors."""

from datetime import date

from gridgov.demo.services import build_services, remove_services
from gridgov.services import selectors
from gridgov.services.models import Application, Rectification


def test_demo_catalogue_and_year_of_applications(network):
    build_services(7)
    figures = selectors.catalogue_figures()
    assert figures["one_go"] == 603 and figures["community"] == 115 and figures["bundles"] == 4
    year = selectors.application_figures(date(2000, 1, 1), date(2100, 1, 1))
    assert year["received"] == Application.objects.count() > 2000
    assert year["bundle_one_day_rate"] is not None
    business = Application.objects.filter(bundle__code="YJS-KBQY")
    assert business.exists() and all(a.used_working_seconds <= selectors.clock.day_seconds() for a in business)
    assert 0 < year["bad"] < year["good"]
    rectifications = Rectification.objects.all()
    assert rectifications.filter(closed_at__isnull=False).exists()
    assert selectors.overdue_rectifications().exists() or rectifications.filter(closed_at__isnull=True).exists()
    remove_services()
    assert not Application.objects.exists()
