"""Both catalogues are complete, and the reference data (categories, top classes, departments)
reads in English in English mode although the rows are stored in Chinese."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

import gridgov
from gridgov.cases.catalogue import CATALOGUE, DEPARTMENTS, ENGLISH_NAMES, TOP_CLASSES, localized
from gridgov.projects.catalogue import PROBLEM_CATEGORIES
from tests.case_factories import make_category, make_user, report

LOCALE = Path(gridgov.__file__).parent / "locale"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Every translatable string of the package, as Django's makemessages extracts it (gettext,
    gettext_lazy, pgettext, ngettext, {% translate %}, {% blocktranslate %}, verbose names and
    choices), read from the .pot it keeps.

    It runs on a copy of the package whose locale directory is empty, without settings (with them
    it would write into LOCALE_PATHS, the real catalogues), and skips static/ (vendored files)."""
    polib = pytest.importorskip("polib")
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext) is needed to check that the catalogues are complete")
    copy = tmp_path_factory.mktemp("source") / "gridgov"
    shutil.copytree(
        Path(gridgov.__file__).parent, copy, ignore=shutil.ignore_patterns("static", "locale", "__pycache__", "*.pyc")
    )
    (copy / "locale").mkdir()
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    command = [sys.executable, "-m", "django", "makemessages", "--domain", "django", "--locale", "zh_Hans"]
    done = subprocess.run([*command, "--no-obsolete", "--keep-pot"], cwd=copy, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return [entry for entry in polib.pofile(str(copy / "locale" / "django.pot")) if entry.msgid]


def missing_from(language, extracted):
    import polib

    catalogue = {(e.msgctxt, e.msgid): e for e in polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))}
    missing = []
    for entry in extracted:
        found = catalogue.get((entry.msgctxt, entry.msgid))
        if found is None or found.obsolete:
            missing.append(entry)
        elif language != "en" and (not found.translated() or "fuzzy" in found.flags):
            # English msgstrs may stay empty (the msgid is the English text); Chinese ones may not.
            missing.append(entry)
    return sorted(
        f"{entry.occurrences[0][0] if entry.occurrences else '?'}: {entry.msgid!r}"
        + (f" (context {entry.msgctxt!r})" if entry.msgctxt else "")
        for entry in missing
    )


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_every_string_marked_for_translation_is_in_the_catalogue(language, extracted):
    """The catalogue test above checks only the entries a catalogue already holds; this one finds
    the strings marked in the code and templates that never reached it."""
    assert len(extracted) > 1000  # the extraction really read the package
    missing = missing_from(language, extracted)
    assert not missing, f"{len(missing)} strings missing from the {language} catalogue:\n" + "\n".join(missing)


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_catalogue_keeps_no_message_the_code_no_longer_uses(language, extracted):
    """A message whose text changed in the code leaves its old entry behind; kept, it is dead
    weight every translator reads again (makemessages would only mark it obsolete, ``#~``)."""
    import polib

    used = {(entry.msgctxt, entry.msgid) for entry in extracted}
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    stale = sorted(entry.msgid for entry in catalogue if entry.obsolete or (entry.msgctxt, entry.msgid) not in used)
    assert stale == [], f"{len(stale)} entries of the {language} catalogue are no longer used: remove them"


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_every_message_is_translated_and_none_is_fuzzy(language):
    polib = pytest.importorskip("polib")
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    untranslated = [entry.msgid for entry in po if not entry.obsolete and (not entry.translated() or "fuzzy" in entry.flags)]
    assert untranslated == []


def test_the_english_catalogue_is_compiled():
    polib = pytest.importorskip("polib")
    messages = LOCALE / "en" / "LC_MESSAGES"
    compiled = {(e.msgctxt, e.msgid) for e in polib.mofile(str(messages / "django.mo"))}
    assert {(e.msgctxt, e.msgid) for e in polib.pofile(str(messages / "django.po")) if not e.obsolete and e.msgid} <= compiled


def test_every_shipped_name_has_an_english_name():
    shipped = {spec.name for spec in CATALOGUE} | set(DEPARTMENTS.values()) | {name for _, _, name, _ in PROBLEM_CATEGORIES}
    shipped |= {name for classes in TOP_CLASSES.values() for name in classes.values()}
    assert sorted(shipped - ENGLISH_NAMES.keys()) == []
    assert all(english.isascii() and english.strip() for english in ENGLISH_NAMES.values())


def test_localized_follows_the_language_and_keeps_unknown_names():
    with translation.override("en"):
        assert localized("暴露垃圾") == "Exposed rubbish"
        assert localized("管理员新加的类别") == "管理员新加的类别"
    with translation.override("zh-hans"):
        assert localized("暴露垃圾") == "暴露垃圾"


def test_english_mode_shows_english_category_names_on_the_list_and_the_report_page(client, network):
    report(make_category())
    client.force_login(make_user("dispatcher"))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    listing = client.get("/cases/").content.decode()
    assert "City appearance and environment / Exposed rubbish" in listing and "暴露垃圾" not in listing
    form = client.get("/report/").content.decode()
    assert "Exposed rubbish" in form and "Street light" in form and "暴露垃圾" not in form

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "市容环境 / 暴露垃圾" in client.get("/cases/").content.decode()


def test_every_admin_field_and_model_has_a_translatable_label():
    from django.contrib import admin
    from django.utils.functional import Promise

    ours = [model for model in admin.site._registry if model.__module__.startswith("gridgov.")]
    plain = [
        f"{model._meta.label}.{field.name}"
        for model in ours
        for field in model._meta.get_fields()
        if hasattr(field, "verbose_name") and not field.auto_created and not isinstance(field.verbose_name, Promise)
    ]
    plain += [model._meta.label for model in ours if not isinstance(model._meta.verbose_name, Promise)]
    assert sorted(plain) == []
