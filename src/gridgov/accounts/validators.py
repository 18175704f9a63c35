"""Password complexity (等保 level 3 asks for length and a mix of character kinds).

The rule chosen: at least 10 characters (MinimumLengthValidator in settings) and characters of at
least three of four kinds: upper-case letters, lower-case letters, digits, and anything else
(punctuation, spaces, Chinese characters). Django's validators also refuse common passwords,
all-digit passwords and passwords close to the username or name.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

KINDS = (str.isupper, str.islower, str.isdigit)


def character_kinds(password: str) -> int:
    kinds = {index for char in password for index, test in enumerate(KINDS) if test(char)}
    if any(not (char.isupper() or char.islower() or char.isdigit()) for char in password):
        kinds.add(len(KINDS))
    return len(kinds)


class CharacterKindsValidator:
    def __init__(self, min_kinds: int = 3):
        self.min_kinds = min_kinds

    def validate(self, password, user=None):
        if character_kinds(password) < self.min_kinds:
            raise ValidationError(
                _(
                    "The password must mix at least %(count)s of these kinds of characters: "
                    "upper-case letters, lower-case letters, digits and other characters."
                )
                % {"count": self.min_kinds},
                code="password_too_simple",
            )

    def get_help_text(self):
        return _(
            "Your password must mix at least %(count)s of these kinds of characters: "
            "upper-case letters, lower-case letters, digits and other characters."
        ) % {"count": self.min_kinds}
