"""Open311 GeoReport v2 at /open311/v2/ — a standard face of ``cases`` (DESIGN.md section 6).

Endpoints (each ``.json`` or ``.xml``; any other extension is 404):
``discovery``, ``services``, ``services/{service_code}``, ``requests`` (GET and POST),
``requests/{service_request_id}``, ``tokens/{token}``, ``servicerequestupdates``.

Mapping to cases:

- service_code = ``{kind}-{code}`` of an active category, e.g. ``event-0101`` (GB/T 30428.2 kind
  and four-digit top+sub-class code); service_name = the sub-class name, group = the top class,
  metadata = false (no extra attributes; ``services/{code}`` returns an empty attribute list),
  type = batch (POST answers with a token; the case number comes later).
- service_request_id = the case number. POST checks the request at once and queues it; the answer
  (HTTP 201) carries the spec's ``token`` and a Location header, and ``tokens/{token}`` gives the
  case number once the intake worker has created it (services.py, worker.py).
- status: reported, accepted, filed, dispatched, handling, handled, verifying → ``open``;
  closed, rated, rejected, voided, merged → ``closed``. ``status_notes`` = the latest public step's text
  (its author's public summary, else a standard sentence for the action; never an internal note);
  ``agency_responsible`` = the assigned department, else the assigned grid-network unit;
  ``expected_datetime`` = when it should be handled, the moment the resident's look-up shows
  (``cases.presenters.expected_finish_at``: the handling deadline while it is with a handler and
  its clock runs, else null); datetimes are W3C with the +08:00 offset.
- GET requests: without any date, the last 90 days; ``start_date`` and ``end_date`` may span at
  most 90 days (spec) and either alone opens the 90 days from / up to it; dates lie in 1900–2999
  (``gridgov.bounds``: beyond, Python's datetime overflows). At most 1000 per page.
  ``service_request_id`` overrides every other filter (spec). ``jurisdiction_id`` is accepted and
  ignored (one jurisdiction).
- POST: ``api_key`` in the form or the query string. lat and long locate the grid; a request with
  only ``address_string`` or ``address_id`` (the spec allows it) is taken in at the intake point
  (``GRIDGOV_OPEN311_INTAKE_POINT``, else a point inside the district) with its report step
  flagged ``location_unconfirmed`` for the intake clerk, and GET shows its lat/long as null until
  the clerk places it (``cases.services.place_case``, ``POST /api/v1/cases/{number}/location``).
  description is required plain text ≤ 4000 characters; longer names, phones, e-mails, addresses,
  device or account ids are refused, never cut (``cases.services.TEXT_LIMITS``). media_url is
  stored, not fetched; a multipart ``media`` file is refused (send media_url).

Errors are lists of ``{code, description}`` with that HTTP status, in the format of the path
(``.xml`` paths, unknown ones too, get XML): 400 bad or missing parameter (including a point
outside the district, an Idempotency-Key reused for a different body, and bodies Django itself
refuses: too many fields, a charset other than UTF-8, broken multipart), 403 missing, unknown or
revoked api_key, 404 unknown service / request / token / format / path, 405 wrong method, 413 a
body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, 429 over the per-client intake rate
(``cases.ratelimit``, scope ``open311``). No input answers 5xx: ``openapi.py`` describes every
endpoint (served at ``openapi.json``) and tests/test_fuzz_api.py fuzzes them against it.

Extensions: ``page``/``page_size`` (≤ 1000), ``updated_after``/``updated_before``;
``extensions=true`` in City of Chicago's shape (``extended_attributes`` with detailed_status =
the internal state, channel, grid_code, media_urls of the photos the public may see — the
report's and the handler's "after" photos, through the look-up page's signed links that expire
after an hour — and a ``notes`` list of the public steps with their public text); ``servicerequestupdates`` in mySociety's
(FixMyStreet) shape: ``service_request_updates/request_update`` with update_id,
service_request_id, status (OPEN / CLOSED), updated_datetime, description, media_url and
external_status_code (the internal state), filtered by start_date / end_date.

Privacy: the reporter's name, phone, e-mail, device_id and account_id, internal step notes and
staff names are never part of a GET response (serializers.py never reads them). The detailed
state and the internal state code are public on purpose.
"""
