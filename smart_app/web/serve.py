"""``ms-monitor serve``: the development server (production: gunicorn ``smart_app.wsgi:app``)."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
def serve(host: str, port: int) -> None:
    """Run the SMART app (settings from MS_MONITOR_* environment variables)."""
    from smart_app.web.app import create_app

    create_app().run(host=host, port=port, debug=False, use_reloader=False)
