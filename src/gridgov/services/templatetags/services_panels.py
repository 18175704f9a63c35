"""Panels the services app puts on other apps' pages, so those pages need one template line and
no import of this app: the community service point on the grid page, and the services' headline
rates on the leader's dashboard."""

from datetime import timedelta

from django import template

from gridgov.services import selectors

register = template.Library()


@register.inclusion_tag("services/_grid_service_point.html")
def grid_service_point(region):
    return {"point": selectors.service_point_of(region)}


@register.inclusion_tag("services/_dashboard_panel.html", takes_context=True)
def services_dashboard_panel(context, period):
    user = context["request"].user
    if not user.is_authenticated or user.role not in selectors.DASHBOARD_ROLES:
        return {"figures": None}
    figures = selectors.dashboard_panel(user, period.first, period.last + timedelta(days=1))
    percent = {key: _percent(figures[f"{key}_rate"]) for key in ("on_time", "good", "one_day")}
    return {"figures": figures, "percent": percent, "may_rectify": user.role in selectors.RECTIFIERS}


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)
