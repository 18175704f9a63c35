"""HTML pages of the grid network. (Filled in by the web UI work.)"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def map_page(request):
    return HttpResponse("map")


@login_required
def region_detail(request, code):
    return HttpResponse(code)
