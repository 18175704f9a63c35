"""Who reads a reporter's personal data unmasked, and what everyone else sees.

Two rules, each in one place: ``accounts.selectors.may_see_personal_data`` says whom the
separation of duties lets near personal data at all (never the three administrators); on top of
it, this module's rule says which roles need it for cases: the command-centre roles that call reporters back — intake clerk, dispatcher, shift
lead — may ask to see a case's reporter in full, and each time they do it is audited
(``services.reveal_reporter``, audit action ``cases.personal_data_viewed``): an explicit "show"
per case, rather than an audit event for every page that merely lists cases. Everyone else —
grid and department staff, verifiers, leaders and the three administrators — sees masks only.
A resident never sees another's data, and their own view (the public one) carries none.
"""

from gridgov.accounts import selectors as account_selectors
from gridgov.accounts.models import Role
from gridgov.masking import mask_email, mask_name, mask_phone

from .models import Case

CALL_BACK_ROLES = frozenset({Role.INTAKE_CLERK, Role.DISPATCHER, Role.SHIFT_LEAD})


def may_see_personal_data(user) -> bool:
    """Whether the user may ask to see reporters' details unmasked (each view audited)."""
    return account_selectors.may_see_personal_data(user) and user.role in CALL_BACK_ROLES


def masked_reporter(case: Case) -> dict:
    return {
        "name": mask_name(case.reporter_name),
        "phone": mask_phone(case.reporter_phone) if case.reporter_phone else "",
        "email": mask_email(case.reporter_email) if case.reporter_email else "",
    }


def has_reporter_details(case: Case) -> bool:
    return bool(case.reporter_name or case.reporter_phone or case.reporter_email)
