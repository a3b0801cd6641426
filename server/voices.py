"""`/v1/audio/voices`: saved voices (list, upload a reference, delete), per key."""

from fastapi import APIRouter

router = APIRouter()
