"""The HTTP layer: a Starlette app over the engine (JSON API, page, health, OpenAPI)."""
