"""``gridgov serve``: the production web server (gunicorn), static files through WhiteNoise."""

from django.core.management import BaseCommand, call_command
from django.db import connections
from django.utils.translation import gettext as _
from gunicorn.app.base import BaseApplication

from gridgov import background


class GridgovServer(BaseApplication):
    """gunicorn driven through its Python API, serving ``gridgov.wsgi.application``."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        # gunicorn ≥ 25.1 opens a control socket at one fixed path per user; two servers (or a
        # server and the tests) would fight over it, and gridgov does not use it.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self):
        from gridgov.wsgi import application

        return application


def server_options(host: str, port: int, workers: int, threads: int, access_log: bool = True) -> dict:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "proc_name": "gridgov",
    }


def collect_static_files() -> None:
    """WhiteNoise serves the collected, compressed and fingerprinted copies."""
    call_command("collectstatic", interactive=False, verbosity=0)


def serve_forever(host: str, port: int, workers: int, threads: int, access_log: bool = True, task_worker: bool = True) -> None:
    """Serve until stopped, with the task queue's worker beside the web server (stopped with it)."""
    worker = background.start_worker() if task_worker else None
    # Workers are forked from this process; they must not share its database connection.
    connections.close_all()
    try:
        GridgovServer(server_options(host, port, workers, threads, access_log)).run()
    finally:
        background.stop_worker(worker)


def add_server_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1)"))
    parser.add_argument("--port", type=int, default=8000, help=_("port to listen on (default 8000)"))
    parser.add_argument("--workers", type=int, default=2, help=_("worker processes (default 2)"))
    parser.add_argument("--threads", type=int, default=4, help=_("threads per worker (default 4)"))
    parser.add_argument("--no-access-log", dest="access_log", action="store_false", help=_("do not log every request"))
    parser.add_argument(
        "--no-task-worker",
        dest="task_worker",
        action="store_false",
        help=_("do not start the background task worker (when workers run on their own: gridgov db_worker)"),
    )


class Command(BaseCommand):
    help = _("Run the production web server (gunicorn) with static files served by WhiteNoise.")
    requires_migrations_checks = True

    def add_arguments(self, parser):
        add_server_arguments(parser)
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help=_("skip collecting static files (when they were collected at deployment)"),
        )

    def handle(self, *args, host, port, workers, threads, access_log, task_worker, no_collectstatic, **options):
        if not no_collectstatic:
            collect_static_files()
        self.stdout.write(
            _("Serving gridgov on http://%(host)s:%(port)s/ (%(workers)d workers)")
            % {"host": host, "port": port, "workers": workers}
        )
        self.stdout.flush()
        serve_forever(host, port, workers, threads, access_log, task_worker)
