"""Forms of the case pages: intake, look-up, rating, list filters and the workflow actions.

``CaseFilter`` and ``action_params`` are shared by the HTML views and the JSON API, so both
filter and act the same way.
"""

import re
import secrets
from datetime import datetime, time, timedelta
from typing import cast

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Department
from gridgov.bounds import EARLIEST_DAY, LATEST_DAY, day_in_range

from . import selectors
from .catalogue import localized
from .models import Case, CaseKind, Category, Rating, Source, State
from .privacy import may_see_personal_data
from .services import key_digest
from .workflow import OPEN_STATES

MAX_PHOTOS = 3
ONE_TIME_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")


def grouped_categories() -> list[tuple[str, list[tuple[int, str]]]]:
    """Active categories grouped by kind and top class, for a <select> with optgroups."""
    groups: dict[str, list[tuple[int, str]]] = {}
    kinds = dict(CaseKind.choices)
    for category in selectors.active_categories():
        label = f"{kinds[category.kind]} · {localized(category.top_name)}"
        groups.setdefault(label, []).append((category.pk, localized(category.name)))
    return list(groups.items())


class CategoryField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(coerce=int, **kwargs)

    def clean(self, value):
        pk = super().clean(value)
        return Category.objects.get(pk=pk) if pk not in (None, "") else None


class ReportForm(forms.Form):
    category = CategoryField(label=_("Category"))
    lat = forms.FloatField(widget=forms.HiddenInput, min_value=-90, max_value=90)
    lng = forms.FloatField(widget=forms.HiddenInput, min_value=-180, max_value=180)
    description = forms.CharField(label=_("Description"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    address = forms.CharField(label=_("Address or landmark"), max_length=200, required=False)
    reporter_name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    reporter_phone = forms.CharField(
        label=_("Your phone"), max_length=20, required=False, help_text=_("Needed to look the case up later.")
    )
    # The one idempotency key of a report: a fresh random key in every form shown, replaced by a
    # key of its own for each report the offline queue keeps on the phone (static/cases/offline.js).
    # A browser, or the queue, that sends the same report again (its first answer lost to a
    # dropped connection or a server restart) gets the case it made (``intake_key``).
    one_time_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    # The key sent by the offline queue before it used ``one_time_key``; a report queued on a
    # phone by that script is still taken once (it stands for the one-time key, and the cases it
    # made then are found by ``selectors.case_by_client_key``). Never rendered.
    client_key = forms.RegexField(regex=r"^[A-Za-z0-9-]{8,48}$", required=False, widget=forms.HiddenInput)

    def __init__(self, *args, phone_required: bool = True, sources: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("one_time_key", secrets.token_urlsafe(24))
        cast(forms.ChoiceField, self.fields["category"]).choices = [("", "——"), *grouped_categories()]
        self.fields["reporter_phone"].required = phone_required
        if sources:
            self.fields["source"] = forms.ChoiceField(label=_("Source"), choices=sources)
        self.photos: list = []

    def clean_reporter_phone(self):
        phone = self.cleaned_data["reporter_phone"].strip()
        if phone and not PHONE.match(phone):
            raise forms.ValidationError(_("Enter a phone number of digits only, e.g. 13800001234."))
        return phone

    def clean(self):
        cleaned = super().clean() or {}
        if ("lat" in self.errors or "lng" in self.errors) or cleaned.get("lat") is None:
            self.errors.pop("lat", None)
            self.errors.pop("lng", None)
            raise forms.ValidationError(_("Drop a pin on the map where the problem is."))
        return cleaned

    def set_photos(self, files: list) -> None:
        if len(files) > MAX_PHOTOS:
            self.add_error(None, _("At most %(count)d photos.") % {"count": MAX_PHOTOS})
        self.photos = files[:MAX_PHOTOS]

    def intake_key(self, *extra) -> str:
        """The case's intake key: the form's one-time key with what was reported (and ``extra``,
        what the page adds to the report, e.g. the patrol's after-photos), so the same form sent
        again finds its case, while the same form edited (the browser's Back button keeps the
        hidden key) is a new report. Empty without a well-formed key."""
        key = self.cleaned_data.get("client_key") or ""  # the older offline queue's, checked by its field
        if not key:
            key = self.cleaned_data.get("one_time_key", "")
            if not ONE_TIME_KEY.match(key):
                return ""
        data = self.cleaned_data
        reported = [key, data["category"].pk, data["lat"], data["lng"], data["description"], data["address"]]
        reported += [data["reporter_name"], data["reporter_phone"], data.get("source", "")]
        reported += [(photo.name, photo.size) for photo in self.photos]
        reported += extra
        return key_digest(reported)


class LookupForm(forms.Form):
    number = forms.CharField(label=_("Case number"), max_length=20)
    phone = forms.CharField(label=_("Phone used when reporting"), max_length=20)

    def find(self) -> Case | None:
        """The case when number and phone match, else None (the page does not say which was wrong)."""
        return selectors.case_by_number_and_phone(self.cleaned_data["number"].strip(), self.cleaned_data["phone"])


class MeTooForm(forms.Form):
    """我也遇到: the open case a resident also suffers from, and how to tell them of its changes."""

    number = forms.CharField(label=_("Case number"), max_length=20)
    phone = forms.CharField(
        label=_("Your phone"),
        max_length=20,
        error_messages={"required": _("Enter your phone so that we can tell you of each change.")},
    )
    email = forms.EmailField(label=_("Your e-mail"), max_length=254, required=False)

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if not PHONE.match(phone):
            raise forms.ValidationError(_("Enter a phone number of digits only, e.g. 13800001234."))
        return phone


class RateForm(LookupForm):
    rating = forms.ChoiceField(label=_("How satisfied are you?"), choices=Rating.choices, widget=forms.RadioSelect)


class CaseFilter(forms.Form):
    """Filters and search of the case list; ``apply`` narrows an already scope-limited queryset."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All")), ("open", _("Open")), *State.choices])
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    source = forms.ChoiceField(label=_("Source"), required=False, choices=[("", _("All")), *Source.choices])
    region = forms.RegexField(label=_("Unit code"), regex=r"^\d{1,15}$", required=False)
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    supervised = forms.BooleanField(label=_("Supervised"), required=False)
    date_from = forms.DateField(label=_("Reported from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Reported to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, caller_search: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = [("", _("All")), *grouped_categories()]
        # Says what the search looks in: the call centre's also finds callers (see ``apply``).
        if caller_search:
            hint = _("Case number, description, address, or the caller's whole phone number or name")
        else:
            hint = _("Case number, description or address")
        self.fields["q"].widget.attrs["placeholder"] = hint

    def _day_in_range(self, name: str):
        day = self.cleaned_data.get(name)
        if day is not None and not day_in_range(day):
            raise forms.ValidationError(
                _("Choose a date between %(earliest)s and %(latest)s."), params={"earliest": EARLIEST_DAY, "latest": LATEST_DAY}
            )
        return day

    def clean_date_from(self):
        return self._day_in_range("date_from")

    def clean_date_to(self):
        return self._day_in_range("date_to")

    def apply(self, cases: QuerySet[Case], user=None) -> QuerySet[Case]:
        """Narrow ``cases``; for the roles that call reporters back (``privacy``), a search that
        looks like a phone number also finds the cases reported from it, and any other search the
        cases whose reporter gave exactly that name (through their blind indexes: the columns
        themselves are encrypted). Other roles' searches never touch the reporter's details."""
        if not self.is_valid():
            return cases.none()
        data = self.cleaned_data
        if data["q"].strip():
            text = data["q"].strip()
            found = Q(number__startswith=text) | Q(description__icontains=text) | Q(address__icontains=text)
            if user is not None and may_see_personal_data(user):
                if len(selectors.normalise_phone(text)) >= 7:
                    found |= Q(pk__in=selectors.cases_by_reporter_phone(text).values("pk"))
                else:
                    found |= Q(pk__in=selectors.cases_by_reporter_name(text).values("pk"))
            cases = cases.filter(found)
        if data["state"] == "open":
            cases = cases.filter(state__in=OPEN_STATES)
        elif data["state"]:
            cases = cases.filter(state=data["state"])
        if data["category"]:
            cases = cases.filter(category_id=data["category"])
        if data["source"]:
            cases = cases.filter(source=data["source"])
        if data["region"]:
            cases = cases.filter(grid_code__startswith=data["region"])
        if data["overdue"]:
            cases = cases.filter(state__in=OPEN_STATES, suspended_at__isnull=True, deadline__lt=timezone.now())
        if data["supervised"]:
            cases = cases.filter(supervised=True)
        if data["date_from"]:
            cases = cases.filter(created_at__gte=_start_of(data["date_from"]))
        if data["date_to"]:
            cases = cases.filter(created_at__lt=_start_of(data["date_to"] + timedelta(days=1)))
        return cases


class InboxFilter(CaseFilter):
    """The inbox's filters: street, category, source, state and overdue (the queue is already
    what waits on the user; dates and the unit code are the case list's)."""

    street = forms.ChoiceField(label=_("Street"), required=False)

    def __init__(self, *args, streets=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("region", "date_from", "date_to", "supervised", "q"):
            del self.fields[name]
        cast(forms.ChoiceField, self.fields["street"]).choices = [("", _("All")), *streets]
        self.order_fields(["street", "category", "source", "state", "overdue"])

    def apply(self, cases: QuerySet[Case], user=None) -> QuerySet[Case]:
        if not self.is_valid():
            return cases.none()
        self.cleaned_data.update(
            q="", region=self.cleaned_data.get("street") or "", date_from=None, date_to=None, supervised=False
        )
        return super().apply(cases, user)


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class ActionError(ValueError):
    """Bad input to an action form (before the workflow sees it)."""


def action_params(action: str, data) -> dict:
    """The keyword parameters take_action needs for this action, read from a form's POST data."""
    if action in ("file", "accept_file"):
        return _filing_corrections(data)
    if action == "dispatch":
        assignee = data.get("assignee", "")
        kind, _sep, code = assignee.partition(":")
        if kind not in ("region", "department") or not code:
            raise ActionError(_("Choose who handles the case."))
        return {kind: code}
    if action == "whistle":
        lead = data.get("lead", "")
        return {"lead": lead, "co": [code for code in data.getlist("co") if code != lead]}
    if action == "request_extension":
        return {"hours": data.get("hours", "")}
    if action == "merge":
        return {"into": data.get("into", "").strip()}
    if action == "rate":
        return {"rating": data.get("rating", "")}
    return {}


def _filing_corrections(data) -> dict:
    """Filing may correct the category and the point; fields left as they were are not sent."""
    params: dict = {}
    category = (data.get("category") or "").strip()
    if category:
        if not category.isdigit() or len(category) > 9:  # an id, within any database's integer
            raise ActionError(_("Choose the category from the list."))
        params["category"] = int(category)
    lat, lng = (data.get("lat") or "").strip(), (data.get("lng") or "").strip()
    if lat or lng:
        try:
            params["lat"], params["lng"] = float(lat), float(lng)
        except ValueError:
            raise ActionError(_("Give the corrected location as a latitude and a longitude, both numbers.")) from None
    return params


def department_choices() -> list[tuple[str, str]]:
    return [(d.code, localized(d.name)) for d in Department.objects.order_by("code")]
