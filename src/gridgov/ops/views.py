"""Endpoints for operating the server itself (not for users)."""

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from gridgov.accounts.services import record_audit


@csrf_exempt
def durable_write_floor(request):
    """The least a durable intake can do: read a form POST and commit one row (an audit event).
    `gridgov bench intake` times it beside /healthz and Open311 POST, to show how much of the
    stack's ceiling one committed write already costs. It exists only where the bench turned it
    on (``GRIDGOV_BENCH_ENDPOINTS``, never in the production profile)."""
    if not settings.GRIDGOV_BENCH_ENDPOINTS:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    with transaction.atomic():
        record_audit(None, "ops.bench_write", description=request.POST.get("description", "")[:100])
    return JsonResponse({"status": "written"}, status=201)
