"""Health checks, registered on the application imported from another module."""

from shop import app


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


def ready() -> dict[str, bool]:
    return {"ready": True}


app.add_api_route("/ready", ready, methods=["GET", "HEAD"])
