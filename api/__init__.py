"""The HTTP API (`pdca serve`, started by `pdca up`): the service layer as JSON over HTTP.

    create_app(settings=None) -> FastAPI      the application (OpenAPI at /api/openapi.json, docs at /api/docs)
    serve(host=None, port=None, settings=None) runs it with uvicorn (PDCA_API_ADDR / PDCA_API_PORT by default)
    server(host=None, port=None, settings=None, client=None) -> uvicorn.Server, to ``await server.serve()``
                                              inside another event loop (`pdca up`)

A person signs in (``POST /api/v1/sign-in``) and sends the credential with every other request as
``Authorization: Bearer …``. The API verifies it against the authority's trusted keys for every request;
commands carry it on to the workflow, which verifies it again and takes who acts — roles, scope — from
it, never from a body. Decisions that judge a person carry the person's own signature, made by the client.

Modules: ``app`` (routes, create_app, serve), ``security`` (the bearer credential, body limit, headers),
``errors`` (service errors to HTTP statuses, one body shape ``{"error": code, "message": …}``).
"""

from api.app import create_app, serve, server

__all__ = ["create_app", "serve", "server"]
