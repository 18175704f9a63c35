"""Cases reported in the grid, from intake to the resident's rating (DESIGN.md section 4).

The workflow itself (which action moves which state, and who may take it) is the table in
``workflow.py``; rows here only hold the current state and the history of steps.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.crypto import BlindIndexField, EncryptedTextField


class CaseKind(models.TextChoices):
    EVENT = "event", _("Event")
    COMPONENT = "component", _("Component")


class LimitUnit(models.TextChoices):
    WORKING_HOURS = "hours", _("working hours")
    WORKING_DAYS = "days", _("working days")


class Category(models.Model):
    """A GB/T 30428.2 sub-class: kind + two-digit top class + two-digit sub-class.

    ``code`` is the four digits (top + sub); with the kind it is unique. The per-step limits are
    what the SLA clock uses: intake (accept and file), dispatch, handling and verification.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=CaseKind.choices)
    code = models.CharField(_("code"), max_length=4)
    top_name = models.CharField(_("top class"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    default_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("default department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="categories",
    )
    handled_in_grid = models.BooleanField(
        _("can be handled in the grid"), default=False, help_text=_("Dispatch proposes the grid's own staff first.")
    )
    filing_condition = models.TextField(_("filing condition"), blank=True)
    closing_condition = models.TextField(_("closing condition"), blank=True)
    intake_hours = models.DecimalField(_("intake limit (working hours)"), max_digits=6, decimal_places=2, default=1)
    dispatch_hours = models.DecimalField(_("dispatch limit (working hours)"), max_digits=6, decimal_places=2, default=1)
    handle_limit = models.DecimalField(_("handling limit"), max_digits=6, decimal_places=2)
    handle_unit = models.CharField(_("handling limit unit"), max_length=8, choices=LimitUnit.choices)
    verify_hours = models.DecimalField(_("verification limit (working hours)"), max_digits=6, decimal_places=2, default=4)
    duplicate_radius_m = models.PositiveIntegerField(_("duplicate radius (m)"), default=250)
    duplicate_window_hours = models.PositiveIntegerField(_("duplicate window (hours)"), default=72)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="category_kind_code_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code} {self.top_name}/{self.name}"

    LIMIT_FIELDS = ("intake_hours", "dispatch_hours", "handle_limit", "verify_hours")

    def clean(self) -> None:
        """A negative limit would give every new case a deadline the clock cannot compute. The
        admin cleans the rows it saves; checked here rather than by field validators, which would
        need a migration for no change to the table."""
        super().clean()
        errors = {
            name: ValidationError(_("A time limit cannot be negative."), code="negative_limit")
            for name in self.LIMIT_FIELDS
            if getattr(self, name) is not None and getattr(self, name) < 0
        }
        if errors:
            raise ValidationError(errors)

    @property
    def top_code(self) -> str:
        return self.code[:2]


class Source(models.TextChoices):
    PATROL = "patrol", _("Grid worker patrol")
    RESIDENT = "resident", _("Resident")
    OPEN311 = "open311", _("Open311 client")
    HOTLINE = "hotline", _("12345 hotline")
    SUPERVISOR = "supervisor", _("Supervisor")
    DEPARTMENT = "department", _("Department self-report")
    SENSOR = "sensor", _("Sensor")


class State(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    FILED = "filed", _("Filed")
    VOIDED = "voided", _("Voided")
    MERGED = "merged", _("Merged as duplicate")
    DISPATCHED = "dispatched", _("Dispatched")
    HANDLING = "handling", _("Handling")
    HANDLED = "handled", _("Handled")
    VERIFYING = "verifying", _("Verifying")
    CLOSED = "closed", _("Closed")
    RATED = "rated", _("Rated")


HANDLER_STATES = (State.DISPATCHED, State.HANDLING)  # the case is with a handler, on a handling clock


class SolvedLevel(models.TextChoices):
    GRID = "grid", _("Grid")
    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")
    DISTRICT = "district", _("District department")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    NOT_SATISFIED = "not_satisfied", _("Not satisfied")


class Case(models.Model):
    number = models.CharField(_("case number"), max_length=20, unique=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.REPORTED, db_index=True)
    # Bumped by every step; a step taken against a stale version is refused (no lost update).
    version = models.PositiveIntegerField(_("version"), default=1)
    description = models.TextField(_("description"), max_length=4000)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"))
    lng = models.FloatField(_("longitude"))
    grid = models.ForeignKey("grids.Region", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="cases")
    # Denormalised from the grid's code so scope filters are one indexed prefix match.
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)

    # Who reported it. Never shown in a public response; encrypted at rest (gridgov/crypto.py) and
    # shown masked to staff except to the roles that call back (cases/privacy.py). The phone and
    # the name are found by their blind indexes (the look-up and the call-centre search compare
    # them), never by their columns.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    reporter_name = EncryptedTextField(_("reporter name"), max_length=50, blank=True)
    reporter_phone = EncryptedTextField(_("reporter phone"), max_length=20, blank=True)
    reporter_email = EncryptedTextField(_("reporter e-mail"), max_length=254, blank=True, validators=[EmailValidator()])
    reporter_phone_index = BlindIndexField(_("reporter phone search key"), source="reporter_phone", normaliser="digits")
    reporter_name_index = BlindIndexField(_("reporter name search key"), source="reporter_name", normaliser="name")
    external_id = models.CharField(_("external number"), max_length=64, blank=True, db_index=True)
    # The resident form's one-time key (ReportForm.intake_key): a submission retried after its
    # answer was lost finds this case instead of making a second one. Never shown.
    intake_key = models.CharField(_("intake key"), max_length=64, blank=True, editable=False)

    # Who holds it now: a department, or a unit of the grid network (grid staff, community, street).
    assigned_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("assigned department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    assigned_region = models.ForeignKey(
        "grids.Region",
        verbose_name=_("assigned unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    co_departments = models.ManyToManyField(
        "accounts.Department", blank=True, related_name="co_handled_cases", verbose_name=_("co-handling departments")
    )
    escalation_level = models.CharField(
        _("escalation level"), max_length=16, choices=SolvedLevel.choices, default=SolvedLevel.GRID
    )
    solved_level = models.CharField(_("solved at"), max_length=16, choices=SolvedLevel.choices, blank=True)
    duplicate_of = models.ForeignKey(
        "self", verbose_name=_("duplicate of"), null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )

    # The SLA clock: the deadline of the step the case waits on, and whether the clock is stopped.
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True, db_index=True)
    suspended_at = models.DateTimeField(
        _("clock stopped at"),
        null=True,
        blank=True,
        help_text=_("While the case is suspended: the moment from which the time left on the current step is kept. "
                    "A step taken during the suspension moves it to that step."),
    )  # fmt: skip
    supervised = models.BooleanField(_("supervised (督办)"), default=False)
    reminded_due_soon_at = models.DateTimeField(_("reminded before the deadline at"), null=True, blank=True)
    reminded_overdue_at = models.DateTimeField(_("reminded of being overdue at"), null=True, blank=True)

    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)
    return_count = models.PositiveSmallIntegerField(_("returns"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("reopenings"), default=0)
    rating = models.CharField(_("rating"), max_length=16, choices=Rating.choices, blank=True)
    # What the resident wrote with their rating: staff read it; the public look-up shows it only
    # to whoever may look the case up (the reporter, with number and phone), never in lists.
    rating_comment = models.TextField(_("rating comment"), max_length=500, blank=True)

    created_at = models.DateTimeField(_("reported at"), db_index=True)
    updated_at = models.DateTimeField(_("updated"), db_index=True)
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The deadlines the evaluation measures a case against, kept as its steps set them (reading
    # them back from the steps cost three correlated sub-queries per case in every count):
    # the report's intake deadline, the latest round's handling deadline (the latest step that
    # left the case with a handler) and the latest finish's verification deadline.
    intake_deadline = models.DateTimeField(_("intake deadline"), null=True, blank=True, editable=False)
    handle_deadline = models.DateTimeField(_("handling deadline"), null=True, blank=True, editable=False)
    verify_deadline = models.DateTimeField(_("verification deadline"), null=True, blank=True, editable=False)

    def note_step_deadline(self, action: str) -> None:
        """Keep the evaluation's deadlines as a step with ``action`` leaves the case (called
        with the case's new state and deadline, the ones its step records)."""
        if action == "report":
            self.intake_deadline = self.deadline
        if self.state in HANDLER_STATES:
            self.handle_deadline = self.deadline
        if action in ("finish", "self_handle"):  # each leaves the case waiting for verification
            self.verify_deadline = self.deadline

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["state", "deadline"]),
            models.Index(fields=["grid_code", "state"]),
            # Lists of one category, newest first (Open311 ?service_code=, the case list filter).
            models.Index(fields=["category", "created_at"]),
            # The evaluation's window filter (evaluation.selectors.in_window): an OR of four
            # ranges, which SQLite answers from four indexes instead of the table.
            models.Index(fields=["filed_at"]),
            models.Index(fields=["closed_at"]),
            models.Index(fields=["handle_deadline"]),
            # Whether a department holds a case of a unit (cases.selectors.evaluation_held): one
            # seek, not a walk over the department's cases testing each one's grid code.
            models.Index(fields=["assigned_department", "grid_code"]),
        ]
        constraints = [
            # One case per 12345 work order, so two imports of the same export running at once
            # cannot both take it in (hotline.py reports the row that loses as refused). Only
            # hotline cases: other sources may carry any external reference, repeated or not.
            models.UniqueConstraint(
                fields=["external_id"],
                condition=models.Q(source=Source.HOTLINE) & ~models.Q(external_id=""),
                name="case_hotline_external_id_unique",
            ),
            models.UniqueConstraint(fields=["intake_key"], condition=~models.Q(intake_key=""), name="case_intake_key_unique"),
            # One case per key of a phone's offline queue (cases/views.py, static/cases/offline.js):
            # two sends of one queued report racing each other cannot both make a case.
            models.UniqueConstraint(
                fields=["external_id"],
                condition=models.Q(external_id__startswith="offline:"),
                name="case_offline_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CaseCounter(models.Model):
    """The last sequence number handed out on a day; case numbers are day + sequence."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)


class Step(models.Model):
    """One recorded step of a case: who did what, when, and the deadline it set."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("from"), max_length=16, choices=State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=16, choices=State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_role = models.CharField(_("role"), max_length=32, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)
    # ``note`` is internal (staff only); ``public_note`` is what its author chose to tell the
    # reporter and the public (presenters.public_text falls back to a standard sentence).
    note = models.TextField(_("note"), max_length=4000, blank=True)
    public_note = models.TextField(_("public summary"), max_length=2000, blank=True)
    deadline = models.DateTimeField(_("deadline set"), null=True, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        indexes = [
            # The evaluation's step pass (a month's dispatches and returns, by case): read from
            # the index alone, not the month's every step fetched from the table.
            models.Index(fields=["action", "at", "case"]),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_state}→{self.to_state}"


class PhotoPhase(models.TextChoices):
    BEFORE = "before", _("Before")
    AFTER = "after", _("After")


class Photo(models.Model):
    """A case photo. Taken in as ``pending`` (only the checked upload, kept in a private folder
    under ``original``); the ``process_photo`` task cleans and re-encodes it, writes ``image`` and
    ``thumbnail`` and makes it ``ready``, or ``failed`` with the reason (cases/photos.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being processed")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Could not be processed")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="photos")
    step = models.ForeignKey(
        Step, verbose_name=_("step"), null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    phase = models.CharField(_("phase"), max_length=8, choices=PhotoPhase.choices, default=PhotoPhase.BEFORE)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.READY)
    # The upload as received (metadata and all), in the private folder of pending photos; never
    # served, deleted once the photo is ready.
    original = models.CharField(_("original upload"), max_length=100, blank=True, editable=False)
    failure = models.CharField(_("why it could not be processed"), max_length=300, blank=True)
    image = models.ImageField(_("image"), upload_to="cases/%Y/%m/", blank=True)
    thumbnail = models.ImageField(_("thumbnail"), upload_to="cases/%Y/%m/thumbs/", blank=True)
    content_type = models.CharField(_("content type"), max_length=32)
    width = models.PositiveIntegerField(_("width (px)"), default=0)
    height = models.PositiveIntegerField(_("height (px)"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")


class ExtensionRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DENIED = "denied", _("Denied")
        SUPERSEDED = "superseded", _("Superseded by a new step")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="extension_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    hours = models.DecimalField(_("extra working hours"), max_digits=6, decimal_places=2)
    reason = models.TextField(_("reason"), max_length=2000)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("requested at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=models.Q(status="pending"), name="one_pending_extension_per_case")
        ]


class CalendarDay(models.Model):
    """An exception to the Monday–Friday rule: a day off or a make-up working day. Editable."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Day off")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class Notification(models.Model):
    """An in-app message to one user (a reminder, an assignment)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=32)
    text = models.CharField(_("text"), max_length=300)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")


class RateCounter(models.Model):
    """Requests one client made in one fixed window (public intake rate limiting, ratelimit.py).

    Kept in the database so every worker process shares the count; ``key`` is a hash of the
    scope and the client, never the raw address or API key.
    """

    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="rate_counter_key_window_unique")]
        indexes = [models.Index(fields=["window_start"])]


class Subscriber(models.Model):
    """A resident who said "me too" (我也遇到) about an open case instead of filing a duplicate:
    they are told of each public change, like the reporter. The contact is encrypted at rest
    like the reporter's and found by its blind index; one subscription per phone and case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="subscribers")
    phone = EncryptedTextField(_("phone"), max_length=20)
    email = EncryptedTextField(_("e-mail"), max_length=254, blank=True, validators=[EmailValidator()])
    phone_index = BlindIndexField(_("phone search key"), source="phone", normaliser="digits")
    created_at = models.DateTimeField(_("subscribed at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("me-too subscriber")
        verbose_name_plural = _("me-too subscribers")
        constraints = [models.UniqueConstraint(fields=["case", "phone_index"], name="subscriber_case_phone_unique")]
