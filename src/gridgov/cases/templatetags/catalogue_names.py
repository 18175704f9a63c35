"""``{{ category.name|localized }}``: catalogue names (categories, top classes, departments) are
stored in Chinese; English pages show the English name from cases/catalogue.py."""

from django import template

from gridgov.cases.catalogue import localized as localized_name

register = template.Library()


@register.filter
def localized(name):
    return localized_name(str(name)) if name else name
