"""FastAPI application: one router per resource under ``service/api/routes``."""

from service.api.app import create_app

__all__ = ["create_app"]
