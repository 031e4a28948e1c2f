"""``ms-monitor sandbox``: run the local SMART EHR sandbox (werkzeug, threaded, loopback only)."""

from __future__ import annotations

from pathlib import Path

import click

from launch.sandbox.app import DEFAULT_APP_BASE_URL
from launch.sandbox.ehr import EHR_NAMES
from launch.sandbox.ehr.ratelimit import parse_rate


@click.command("sandbox")
@click.option("--port", type=click.IntRange(1, 65535), default=9090, show_default=True)
@click.option(
    "--fhir-upstream",
    default="http://127.0.0.1:8080/fhir",
    show_default=True,
    help="The HAPI FHIR base the sandbox fronts.",
)
@click.option(
    "--app-base-url",
    default=DEFAULT_APP_BASE_URL,
    show_default=True,
    help="Origin of ms-monitor; redirect URI {app-base-url}/callback.",
)
@click.option(
    "--app-launch-url", default=None, help="The app's launch URL (default {app-base-url}/launch)."
)
@click.option(
    "--clients-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Client registrations (default launch/sandbox/clients.json).",
)
@click.option(
    "--token-lifetime",
    type=click.IntRange(min=1),
    default=3600,
    show_default=True,
    help="Access token lifetime in seconds.",
)
@click.option(
    "--ehr",
    type=click.Choice(EHR_NAMES),
    default="hapi",
    show_default=True,
    help="The EHR the FHIR proxy behaves as (hapi: HAPI itself).",
)
@click.option(
    "--rate-limit",
    default=None,
    metavar="N/min",
    help="Answer 429 with Retry-After after N FHIR requests in a minute.",
)
def sandbox(
    port: int,
    fhir_upstream: str,
    app_base_url: str,
    app_launch_url: str | None,
    clients_file: Path | None,
    token_lifetime: int,
    ehr: str,
    rate_limit: str | None,
) -> None:
    """Run the local SMART EHR sandbox in front of HAPI FHIR (dev only, auto-approves)."""
    try:
        per_minute = parse_rate(rate_limit) if rate_limit else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--rate-limit") from None
    from werkzeug.serving import run_simple

    from launch.sandbox.app import create_sandbox_app

    base = app_base_url.rstrip("/")
    public_base = f"http://127.0.0.1:{port}"
    app = create_sandbox_app(
        fhir_upstream.rstrip("/"),
        app_launch_url or f"{base}/launch",
        clients_file=clients_file,
        public_base=public_base,
        app_base_url=base,
        token_lifetime_seconds=token_lifetime,
        ehr=ehr,
        rate_limit_per_minute=per_minute,
    )
    click.echo(f"Sandbox EHR:       {public_base}/ehr")
    click.echo(f"FHIR base (iss):   {public_base}/fhir")
    click.echo(f"Discovery:         {public_base}/fhir/.well-known/smart-configuration")
    click.echo(f"Upstream HAPI:     {fhir_upstream}")
    limit = f", {per_minute} requests/min" if per_minute else ""
    click.echo(f"Behaves as:        {ehr}{limit}")
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)
