"""The one status page of a queued import or export, and its download: for the user who asked
only (the job's files lie in that user's folder; anyone else's token is a 404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from . import filejobs

REFRESH_SECONDS = 3
CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def queue_upload(request, function, *, back: str):
    """The import views' one flow: check the posted ``file`` (``filejobs.read_upload``), then queue
    the import ``function`` on it and send the user to its status page; a refused file goes back
    to the ``back`` page (a URL name) with its whole-sentence reason. The caller has checked the
    user may import."""
    upload = request.FILES.get("file")
    try:
        content = filejobs.read_upload(upload)
    except filejobs.JobRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(back)
    back_url = reverse(back)
    token = filejobs.start_import(request.user, function, content, {"name": upload.name}, filename=upload.name, back=back_url)
    return redirect("jobs:status", token=token)


@login_required
def job_status(request, token):
    """ "Your file is being prepared" (refreshing itself), then the file or the import's result,
    or why it failed."""
    found = filejobs.status(request.user.pk, token)
    if found is None:
        raise Http404
    return render(request, "ops/job_status.html", {"job": found, "refresh_seconds": REFRESH_SECONDS})


@login_required
def job_download(request, token):
    found = filejobs.export_file(request.user.pk, token)
    if found is None:
        raise Http404
    path, filename = found
    content_type = CONTENT_TYPES.get(path.suffix.lstrip("."), "application/octet-stream")
    return FileResponse(path.open("rb"), as_attachment=True, filename=filename, content_type=content_type)
