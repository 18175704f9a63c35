from typing import cast

from django import forms
from django.contrib import admin

from .indicators import INDICATORS
from .models import Scheme, Weight


class WeightForm(forms.ModelForm):
    indicator = forms.ChoiceField(choices=[])

    class Meta:
        model = Weight
        fields = ["indicator", "weight"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["indicator"]).choices = [
            (key, f"{indicator.label} ({key})") for key, indicator in INDICATORS.items()
        ]


class WeightInline(admin.TabularInline):
    model = Weight
    form = WeightForm
    extra = 0


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ["level", "grade_a", "grade_b", "grade_c", "grade_d", "updated_at"]
    inlines = [WeightInline]
