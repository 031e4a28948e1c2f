"""The app's error pages: one template, a clear title and message, the server's own words."""

from __future__ import annotations

from flask import Flask, render_template

from smart_app.errors import AuthError, FhirError


def error_page(title: str, message: str, status: int) -> tuple[str, int]:
    return render_template("error.html", title=title, message=message), status


def fhir_error_page(exc: FhirError) -> tuple[str, int]:
    """A FHIR server's error with its OperationOutcome text (product.md, Reliability)."""
    return render_template(
        "error.html",
        title="The FHIR server answered with an error",
        message=str(exc),
        outcome=exc.outcome,
        status=exc.status,
    ), 502


def auth_error_page(exc: AuthError) -> tuple[str, int]:
    return error_page("Authorisation ended", f"{exc}. Launch the app again from the EHR.", 401)


def register_error_pages(app: Flask) -> None:
    """One handler per error kind instead of the same ``except`` in every view
    (https://flask.palletsprojects.com/en/stable/errorhandling/#registering)."""
    app.register_error_handler(FhirError, fhir_error_page)
    app.register_error_handler(AuthError, auth_error_page)
