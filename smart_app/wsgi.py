"""WSGI entry point for production: ``gunicorn 'smart_app.wsgi:app'``.

Settings come from the environment (``MS_MONITOR_*``). With more than one gunicorn worker set
``MS_MONITOR_REDIS_URL`` so that sessions, pending launches and tokens are shared.
"""

from __future__ import annotations

from smart_app.web.app import create_app

app = create_app()
