import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
application = get_wsgi_application()

# Each server process takes in the Open311 requests left queued when the server last stopped,
# without waiting for a new POST to wake its worker (open311/worker.py).
from gridgov.open311.worker import intake_worker  # noqa: E402 (needs the settings configured above)

intake_worker.wake()
