"""The browser playground: ``GET /`` is ``static/index.html``; its script and style are under ``/static/``.

Plain files, no build step, nothing fetched from elsewhere. The page and its assets need no key (the
request gate leaves :data:`PAGE` and :data:`ASSETS` open); the page asks for the key and sends it with
its API calls and as ``?api_key=`` on the WebSocket.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
PAGE = "/"
ASSETS = "/static/"  # path prefix of the page's files

router = APIRouter()
router.mount(ASSETS.rstrip("/"), StaticFiles(directory=STATIC), name="static")


@router.get(PAGE, include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})
