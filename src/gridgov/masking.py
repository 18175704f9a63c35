"""How personal data looks to someone who may not read it in full (DESIGN.md sections 7, 11):
``138****5678``, ``张*``, ``z***@example.com``, ``110101********1234``. Shared by every app that
shows a phone, a name, an e-mail or an ID-card number."""


def mask_phone(phone: str) -> str:
    """138****5678: the first three and last four digits of a mobile number."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_name(name: str) -> str:
    """张*: the first character (a Chinese surname, an initial) and a star per other character."""
    name = (name or "").strip()
    return f"{name[0]}{'*' * (len(name) - 1)}" if name else ""


def mask_email(email: str) -> str:
    """z***@example.com: the first character of the mailbox and the domain."""
    local, at, domain = (email or "").partition("@")
    if not at:
        return mask_name(email)
    return f"{local[:1]}***@{domain}"


def mask_id_number(number: str) -> str:
    """110101********1234: the six-digit area code and the last four characters."""
    number = (number or "").strip()
    if len(number) <= 10:
        return "*" * len(number)
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"
