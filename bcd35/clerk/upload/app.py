"""The upload page: a clerk drops files, reads the check in Vietnamese, accepts the good ones.

- Login required: user ``vanthu`` and a password generated into ``HOME/secrets/upload.json``
  (mode 0600) on first start, with the key that signs the session cookie. Nothing is committed.
- Every form that changes something carries a CSRF token bound to the session; the cookie is
  ``SameSite=Strict`` and ``HttpOnly``.
- Uploads: only ``.csv`` and ``.xlsx``, at most :func:`max_upload_bytes` (the request is refused
  from its ``Content-Length`` before it is read), a file name with a path or a hidden name is
  refused. A dropped file is held in memory and checked (:mod:`bcd35.clerk.check`); nothing is
  written until the clerk accepts it, and then only into ``HOME/inbox/<committee>/`` (the path
  resolved and checked to be inside that folder, written to a hidden temporary name the
  ingestion ignores, then renamed).
- The list of delivered files is read from the committee's inbox folder and the registry:
  nothing else is kept.
"""

from __future__ import annotations

import json
import os
import secrets
import unicodedata
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fastapi import FastAPI, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartParser
from starlette.middleware.sessions import SessionMiddleware

from bcd35.clerk.check import FileCheck, _read_only, check_bytes
from bcd35.clerk.templates import TEMPLATE_KINDS, template_name
from bcd35.config import REPO_ROOT, Home
from bcd35.ingest.kinds import KINDS
from bcd35.settings import settings

USER = "vanthu"
ALLOWED_SUFFIXES = (".csv", ".xlsx")
MAX_PENDING = 20  # files held for one session before they are accepted or dropped
SESSION_SECONDS = 8 * 3600
TEMPLATES_DIR = REPO_ROOT / "templates"
PAGES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))

STATUS_VI = {
    "loaded": "đã nạp / loaded",
    "quarantined": "bị cách ly / quarantined",
    "superseded": "đã được thay bằng bản mới / superseded",
    "withdrawn": "đã rút / withdrawn",
    "waiting": "chờ lần chạy đêm nay / waiting for tonight's run",
}


def max_upload_bytes() -> int:
    return settings().upload_max_bytes


def secrets_file(home: Home) -> Path:
    return home.secrets_dir / "upload.json"


def credentials(home: Home) -> dict[str, str]:
    """The login and the session key, generated once into the home (0600), then reused."""
    path = secrets_file(home)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        doc = {"user": USER, "password": secrets.token_urlsafe(18),
               "session_key": secrets.token_hex(32)}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh)
        os.replace(tmp, path)
    return json.loads(path.read_text(encoding="utf-8"))


class Refused(Exception):  # noqa: N818 - a clerk-facing outcome
    def __init__(self, vi: str, en: str):
        super().__init__(f"{vi} / {en}")
        self.vi, self.en = vi, en


def safe_name(raw: str | None) -> str:
    """The file name as given, or :class:`Refused`: no folder part, no hidden name, an
    allowed type. Browsers send the bare name; anything else is refused, not cleaned up."""
    name = unicodedata.normalize("NFC", raw or "").strip()
    if not name:
        raise Refused("Tệp không có tên.", "The file has no name.")
    if "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        raise Refused(f"Tên tệp «{name}» có chứa đường dẫn thư mục: chỉ gửi tên tệp.",
                      f"The file name «{name}» contains a folder path: send the bare name.")
    if name.startswith((".", "~$")) or any(unicodedata.category(c)[0] == "C" for c in name):
        raise Refused(f"Tên tệp «{name}» không hợp lệ (tệp ẩn hoặc có ký tự điều khiển).",
                      f"The file name «{name}» is not allowed (hidden or control characters).")
    if PurePosixPath(name).suffix.lower() not in ALLOWED_SUFFIXES:
        raise Refused(f"«{name}»: chỉ nhận tệp .csv hoặc .xlsx.",
                      f"«{name}»: only .csv and .xlsx files are accepted.")
    if len(name.encode()) > 200:
        raise Refused("Tên tệp quá dài (tối đa 200 byte).", "The file name is too long.")
    return name


@dataclass
class Pending:
    id: str
    name: str
    data: bytes
    check: FileCheck


@dataclass
class Delivered:
    path: str  # inbox-relative
    status: str
    reason: str | None
    rows: int
    in_inbox: bool


def target_path(home: Home, committee: str, name: str) -> Path:
    """Where an accepted file goes; refuses anything that would land outside the folder."""
    folder = (home.inbox / committee).resolve()
    inbox = home.inbox.resolve()
    if folder.parent != inbox:
        raise Refused("Thư mục của ban không hợp lệ.", "The committee folder is not valid.")
    path = (folder / safe_name(name)).resolve()
    if path.parent != folder:
        raise Refused("Tệp sẽ nằm ngoài thư mục inbox.", "The file would land outside the inbox.")
    return path


def write_into_inbox(home: Home, committee: str, name: str, data: bytes) -> Path:
    path = target_path(home, committee, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.parent.is_symlink() or (path.exists() and path.is_symlink()):
        raise Refused("Thư mục nhận là liên kết tượng trưng.", "The target is a symbolic link.")
    tmp = path.with_name(f".upload-{uuid.uuid4().hex}.tmp")  # hidden: the ingest skips it
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def delivered(home: Home, committee: str) -> list[Delivered]:
    """What became of every file of the committee's folder: from the registry, read-only."""
    prefix = f"{committee}/"
    folder = home.inbox / committee
    present = {p.relative_to(home.inbox).as_posix() for p in folder.glob("*")
               if p.is_file() and not p.name.startswith(".")} if folder.is_dir() else set()
    rows: list[Delivered] = []
    seen: set[str] = set()
    if home.state_db.is_file():
        with closing(_read_only(home.state_db)) as conn:
            records = conn.execute(
                "select f.*, s.original_path as seen_at, s.last_seen as seen_last "
                "from ingested_files f join file_sightings s using (sha256) "
                "where s.original_path like ? order by s.last_seen desc, f.ingest_seq desc",
                (prefix + "%",)).fetchall()
        latest: dict[str, str] = {}
        for r in records:
            latest.setdefault(r["seen_at"], r["sha256"])
        for r in records:
            path = r["seen_at"]
            status = r["status"]
            keys = r.keys()
            if "retracted" in keys and r["retracted"]:  # superseded or withdrawn by a night
                status = r["retracted"]
            elif status == "quarantined" and "superseded_by" in keys and r["superseded_by"]:
                status = "superseded"
            elif latest[path] != r["sha256"] and status == "loaded":
                status = "superseded"
            elif status == "loaded" and path not in present and latest[path] == r["sha256"]:
                status = "withdrawn"
            rows.append(Delivered(path, status, r["reason"], r["rows"], path in present))
            seen.add(path)
    rows += [Delivered(path, "waiting", None, 0, True) for path in sorted(present - seen)]
    return rows


def create_app(home: Home, committee: str) -> FastAPI:
    login = credentials(home)
    # keep an upload in memory up to the limit: never spooled to a temporary file
    MultiPartParser.spool_max_size = max_upload_bytes() + 1
    app = FastAPI(title="bcd35 — nộp tệp", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=login["session_key"],
                       session_cookie="bcd35_upload", max_age=SESSION_SECONDS,
                       same_site="strict", https_only=False)
    pending: dict[str, dict[str, Pending]] = {}  # session id → files held

    @app.middleware("http")
    async def limits(request: Request, call_next):
        if request.method == "POST" and request.url.path == "/upload":
            length = request.headers.get("content-length")
            if length is None:
                return _plain(411, "Cần Content-Length / Content-Length required")
            if int(length) > max_upload_bytes() + 64 * 1024:
                return _too_large()
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def csrf(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = request.session["csrf"] = secrets.token_urlsafe(24)
        return token

    def csrf_ok(request: Request, token: str) -> bool:
        expected = request.session.get("csrf") or ""
        return bool(expected) and secrets.compare_digest(expected, token or "")

    def user(request: Request) -> str | None:
        return request.session.get("user")

    def mine(request: Request) -> dict[str, Pending]:
        sid = request.session.setdefault("sid", secrets.token_hex(16))
        return pending.setdefault(sid, {})

    def page(request: Request, name: str, status: int = 200, **values) -> HTMLResponse:
        values.update(csrf=csrf(request), committee=committee, kinds=KINDS,
                      status_vi=STATUS_VI, user=user(request))
        return PAGES.TemplateResponse(request, name, values, status_code=status)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request):
        return page(request, "login.html")

    @app.post("/login")
    def login_post(request: Request, username: str = Form(""), password: str = Form(""),
                   token: str = Form("", alias="csrf")):
        if not csrf_ok(request, token):
            return page(request, "login.html", 403, error="Phiên đã hết hạn, hãy thử lại. / "
                        "The form expired, try again.")
        good = secrets.compare_digest(username.encode(), login["user"].encode()) and \
            secrets.compare_digest(password.encode(), login["password"].encode())
        if not good:
            return page(request, "login.html", 401, error="Sai tên đăng nhập hoặc mật khẩu. / "
                        "Wrong user name or password.")
        request.session.clear()
        request.session.update(user=login["user"], csrf=secrets.token_urlsafe(24),
                               sid=secrets.token_hex(16))
        return RedirectResponse("/", status_code=303)

    @app.post("/logout")
    def logout(request: Request, token: str = Form("", alias="csrf")):
        if csrf_ok(request, token):
            pending.pop(request.session.get("sid", ""), None)
            request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):
        if not user(request):
            return RedirectResponse("/login", status_code=303)
        messages = request.session.pop("messages", [])
        return page(request, "index.html", pending=list(mine(request).values()),
                    delivered=delivered(home, committee), messages=messages,
                    templates=[(template_name(KINDS[k]), KINDS[k].label_vi)
                               for k in TEMPLATE_KINDS],
                    max_size=_size_text(max_upload_bytes()))

    @app.post("/upload")
    async def upload(request: Request):
        if not user(request):
            return _plain(403, "Cần đăng nhập / login required")
        form = await request.form(max_files=MAX_PENDING, max_fields=10)
        if not csrf_ok(request, str(form.get("csrf") or "")):
            return _plain(403, "CSRF")
        held = mine(request)
        messages: list[dict[str, str]] = []
        for item in form.getlist("files"):
            if not isinstance(item, UploadFile):
                continue
            try:
                name = safe_name(item.filename)
                data = await item.read(max_upload_bytes() + 1)
                if len(data) > max_upload_bytes():
                    raise Refused(f"«{name}» quá lớn (tối đa {max_upload_bytes()} byte).",
                                  f"«{name}» is too large (at most {max_upload_bytes()} bytes).")
                if len(held) >= MAX_PENDING:
                    raise Refused("Quá nhiều tệp đang chờ: hãy nhận hoặc bỏ bớt.",
                                  "Too many files waiting: accept or drop some first.")
            except Refused as exc:
                messages.append({"level": "refused", "vi": exc.vi, "en": exc.en})
                continue
            finally:
                await item.close()
            check = check_bytes(data, name, f"{committee}/{name}", home)
            entry = Pending(uuid.uuid4().hex, name, data, check)
            held[entry.id] = entry
        if any(m["level"] == "refused" for m in messages):
            request.session["messages"] = messages
            return RedirectResponse("/", status_code=303) if _wants_html(request) else \
                _plain(400, "; ".join(f"{m['vi']} / {m['en']}" for m in messages))
        request.session["messages"] = messages
        return RedirectResponse("/", status_code=303)

    @app.post("/accept")
    def accept(request: Request, file_id: str = Form(""), token: str = Form("", alias="csrf")):
        if not user(request):
            return _plain(403, "Cần đăng nhập / login required")
        if not csrf_ok(request, token):
            return _plain(403, "CSRF")
        entry = mine(request).get(file_id)
        if entry is None or not entry.check.ok:
            return _plain(400, "Tệp không sẵn sàng / file not ready")
        try:
            path = write_into_inbox(home, committee, entry.name, entry.data)
        except Refused as exc:
            return _plain(400, f"{exc.vi} / {exc.en}")
        mine(request).pop(file_id, None)
        request.session["messages"] = [{
            "level": "ok", "vi": f"Đã nhận «{entry.name}» vào inbox/{committee}/; sẽ nạp trong "
            f"lần chạy đêm nay.", "en": f"«{entry.name}» accepted into inbox/{committee}/ "
            f"({path.stat().st_size} bytes); tonight's run loads it."}]
        return RedirectResponse("/", status_code=303)

    @app.post("/discard")
    def discard(request: Request, file_id: str = Form(""), token: str = Form("", alias="csrf")):
        if user(request) and csrf_ok(request, token):
            mine(request).pop(file_id, None)
        return RedirectResponse("/", status_code=303)

    @app.get("/mau/{name}")
    def template_file(request: Request, name: str):
        if not user(request):
            return RedirectResponse("/login", status_code=303)
        allowed = {template_name(KINDS[k]) for k in TEMPLATE_KINDS}
        if name not in allowed:
            return _plain(404, "Không có / not found")
        return FileResponse(TEMPLATES_DIR / name, filename=name, media_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))

    @app.get("/style.css")
    def style():
        return FileResponse(Path(__file__).with_name("style.css"), media_type="text/css")

    return app


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.0f} MB"
    return f"{size / 1024:.0f} KB"


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _plain(status: int, text: str) -> Response:
    return Response(text + "\n", status_code=status, media_type="text/plain; charset=utf-8")


def _too_large() -> Response:
    limit = max_upload_bytes()
    return _plain(413, f"Tệp quá lớn: tối đa {limit} byte mỗi lần gửi. / Too large: at most "
                       f"{limit} bytes per upload.")


def serve(home: Home, committee: str, host: str = "127.0.0.1", port: int = 8090) -> None:
    import uvicorn

    uvicorn.run(create_app(home, committee), host=host, port=port, log_level="warning",
                server_header=False)
