"""The HTTP adapter: Flask + marshmallow, served by gunicorn as ``api:create_app()``.

Layout: ``factory.create_app`` (settings, error handlers, metrics, the
``BLUEPRINTS`` list), ``errors`` (the only LedgerError -> HTTP mapping; every
error is application/problem+json), ``auth`` (Bearer keys), ``edge`` (body,
headers, query, JSON answers), ``openapi`` (the document, generated from the
routes), one module per resource: ``contracts``, ``commands``, ``service``.

Adding a blueprint (e.g. the read-model routes of ``projections``)::

    # api/reports.py
    from flask import Blueprint, Response
    from api.auth import protect                       # Bearer key -> g.account_id, 401 otherwise
    from api.edge import account_id, load_query, respond
    from api.openapi import GET_ERRORS, operation      # every route MUST carry @operation

    blueprint = protect(Blueprint("reports", __name__, url_prefix="/v1"))

    @blueprint.get("/aging")
    @operation("Aging of open invoices", "reports", query=AgingQuery, response=AgingOut, errors=GET_ERRORS)
    def aging() -> Response:
        query = load_query(AgingQuery())               # marshmallow; errors become 422 problems
        return respond(AgingOut().dump(read_aging(account_id(), **query)))

then add ``reports.blueprint`` to ``BLUEPRINTS`` in ``api/factory.py``. Raise a
``LedgerError`` (or let marshmallow raise) for refusals: ``api.errors`` renders
them; never build an error response by hand. Put query and response schemas in
``schemas/`` so the OpenAPI document is generated from them. ``create_app``
refuses to start if a route has no ``@operation``.
"""

from api.factory import create_app

__all__ = ["create_app"]
