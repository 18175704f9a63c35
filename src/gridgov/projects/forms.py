"""Forms of the projects pages: the period and filters of the list, and raising a problem."""

from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ProblemKind, Stage

MONTHS = [(m, m) for m in range(1, 13)]


class PeriodForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    first = forms.TypedChoiceField(label=_("From month"), choices=MONTHS, coerce=int)
    last = forms.TypedChoiceField(label=_("To month"), choices=MONTHS, coerce=int)
    stage = forms.ChoiceField(label=_("Stage"), choices=[("", _("Any"))] + list(Stage.choices), required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    park = forms.ChoiceField(label=_("Park"), required=False)
    major = forms.BooleanField(label=_("≥ 100 million yuan only"), required=False)
    q = forms.CharField(label=_("Name or investor"), required=False, max_length=100)

    def __init__(self, data, *, industries, parks, default_last: int):
        today = timezone.localdate()
        data = {"year": today.year, "first": 1, "last": default_last, **{k: v for k, v in data.items()}}
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["industry"]).choices = [("", _("Any"))] + [(i.code, i.name) for i in industries]
        cast(forms.ChoiceField, self.fields["park"]).choices = [("", _("Any"))] + [(p, p) for p in parks]

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("first") and cleaned.get("last") and cleaned["first"] > cleaned["last"]:
            raise forms.ValidationError(_("The first month must not come after the last month."))
        return cleaned


class ProblemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of problem"), choices=ProblemKind.choices)
    description = forms.CharField(label=_("What blocks the project"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Next stage"), choices=Stage.choices)
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, next_stages=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["stage"]).choices = [(s.value, s.label) for s in Stage if s.value in next_stages]


class CorrectionForm(forms.Form):
    event = forms.IntegerField(widget=forms.HiddenInput)
    on = forms.DateField(label=_("Corrected date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200)
