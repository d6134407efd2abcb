import asyncio, re
import pytest
from tests.web.conftest import Console
from web import dashboard

async def test_try(console: Console) -> None:
    if not any(getattr(r, "path", "") == "/dashboard" for r in console.app.routes):
        console.app.include_router(dashboard.router)
    http = await console.signed_in("sup-1")
    async with http:
        page = await http.get("/dashboard")
        print(page.status_code)
        open("/tmp/dash/sup.html", "w").write(page.text)
        csv = await http.get("/dashboard/ledgers/measures.csv?year=2026")
        print(csv.status_code, csv.headers.get("content-disposition"), csv.content[:400].decode("utf-8-sig"))
