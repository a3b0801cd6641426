"""The browser playground at `/` (static files)."""

from fastapi import APIRouter

router = APIRouter()
