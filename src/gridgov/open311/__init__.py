"""Open311 GeoReport v2 at /open311/v2/ — a standard face of ``cases`` (DESIGN.md section 6).

Endpoints (each ``.json`` or ``.xml``; any other extension is 404):
``discovery``, ``services``, ``services/{service_code}``, ``requests`` (GET and POST),
``requests/{service_request_id}``, ``tokens/{token}``, ``servicerequestupdates``.

Mapping to cases:

- service_code = ``{kind}-{code}`` of an active category, e.g. ``event-0101`` (GB/T 30428.2 kind
  and four-digit top+sub-class code); service_name = the sub-class name, group = the top class,
  metadata = false (no extra attributes; ``services/{code}`` returns an empty attribute list),
  type = realtime.
- service_request_id = the case number. POST creates the case at once and answers with the id
  (HTTP 201); the spec's token is still issued per POST, sent in the ``X-Open311-Token`` header,
  and ``tokens/{token}`` resolves it.
- status: reported, accepted, filed, dispatched, handling, handled, verifying → ``open``;
  closed, rated, rejected, voided, merged → ``closed``. ``status_notes`` = the latest public step's text
  (its author's public summary, else a standard sentence for the action; never an internal note);
  ``agency_responsible`` = the assigned department, else the assigned grid-network unit;
  ``expected_datetime`` = the current SLA deadline; datetimes are W3C with the +08:00 offset.
- GET requests: without any date, the last 90 days; at most 1000 per page. ``service_request_id``
  overrides every other filter (spec). ``jurisdiction_id`` is accepted and ignored (one jurisdiction).
- POST needs lat and long (the grid is found from the point; address_string alone is refused
  with 400); description is required plain text ≤ 4000 characters; media_url is stored, not fetched.

Errors are lists of ``{code, description}`` with that HTTP status: 400 bad or missing parameter
(including a point outside the district), 403 missing, unknown or revoked api_key, 404 unknown
service / request / token / format, 405 wrong method, 422 an Idempotency-Key reused for a
different body, 429 over the per-client intake rate (``cases.ratelimit``, scope ``open311``).

Extensions: ``page``/``page_size`` (≤ 1000), ``updated_after``/``updated_before``;
``extensions=true`` in City of Chicago's shape (``extended_attributes`` with detailed_status =
the internal state, channel, grid_code, media_urls of the case photos — the access-controlled
staff photo URLs — and a ``notes`` list of the public steps with their public text); ``servicerequestupdates`` in mySociety's
(FixMyStreet) shape: ``service_request_updates/request_update`` with update_id,
service_request_id, status (OPEN / CLOSED), updated_datetime, description, media_url and
external_status_code (the internal state), filtered by start_date / end_date.

Privacy: the reporter's name, phone, e-mail, device_id and account_id, internal step notes and
staff names are never part of a GET response (serializers.py never reads them). The detailed
state and the internal state code are public on purpose.
"""
