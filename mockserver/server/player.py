"""The course player ``GET /api/train_sessions/:login_id/:course_code?token=TOKEN`` and its test aid.

The vendor documents only the URL, that it is an HTML page for an ``<iframe>`` and that a wrong
token shows "Authentication error". The mock's page shows the session (the newest one of that
login and course in the token's account) and, clearly marked as the mock's own, a test aid that
advances it as taking the course would (``progress.py``): its forms are sent by a script served
from the mock (``/__mockserver/player.js``) to the control API
(``POST /__mockserver/sessions/{id}/{progress|fail_quiz|complete}``) as JSON, so they obey the
control API's Host, Origin and Content-Type rules like any other write.

Embedding: the JSON routes' ``X-Frame-Options: SAMEORIGIN`` would keep the page out of the
client's site, so the page sends none; ``Content-Security-Policy: frame-ancestors`` lets pages
served from loopback (any port) and the ``--allow-origin``/``--cors`` origins frame it, and the
rest of the policy allows only the mock's own script and requests. ``Referrer-Policy:
no-referrer`` keeps the token in the URL out of other servers' logs.
"""

from __future__ import annotations

import datetime
import html
from typing import Any

from aiohttp import web

from mockserver.engine import rack
from mockserver.engine.routing import Route
from mockserver.progress import ACTIONS, ProgressError, advance, pass_mark
from mockserver.server.keys import SETTINGS, STATE, TOKENS
from mockserver.server.memo import remembered
from mockserver.server.rendering import VARY_DECIDED
from mockserver.server.state import ServerState
from mockserver.settings import Settings

__all__ = ["AUTH_ERROR", "PLAYER_SCRIPT", "frame_ancestors", "player_page", "session_action"]

AUTH_ERROR = "Authentication error"
LOOPBACK_ANCESTORS = (
    "'self'",
    "http://localhost:*",
    "https://localhost:*",
    "http://*.localhost:*",
    "http://127.0.0.1:*",
    "https://127.0.0.1:*",
)  # CSP's host-source has no IPv6 literal form: a page on [::1] cannot be listed
PLAYER_SCRIPT = b"""// mockserver's course-player test aid (not part of LearningLogin's player)
for (const form of document.querySelectorAll("form[data-action]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    for (const [name, value] of new FormData(form)) if (value !== "") values[name] = Number(value);
    const url = "/__mockserver/sessions/" + form.dataset.session + "/" + form.dataset.action;
    const answer = await fetch(url, {method: "POST", credentials: "omit",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify(values)});
    if (answer.ok) { location.reload(); return; }
    const problem = await answer.json().catch(() => ({}));
    document.getElementById("aid-result").textContent =
      answer.status + ": " + (problem.message || answer.statusText) + " " +
      (problem.problems || []).join("; ");
  });
}
"""
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1rem;color:#222}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}"
    ".aid{border:2px dashed #b35c00;background:#fff7ec;padding:.6rem;margin-top:1rem}"
    ".aid h2{font-size:1rem;margin:0 0 .4rem}.aid form{margin:.3rem 0}"
    "progress{width:12rem}"
)
_FIELDS = (
    ("full_name", "Trainee"),
    ("status", "Status"),
    ("percent_complete", "Percent complete"),
    ("score", "Score"),
    ("failed_attempts", "Failed final-quiz attempts"),
    ("time_spent", "Time spent (h)"),
    ("completion_date", "Completed on"),
    ("cert_expiry", "Certificate expires"),
    ("last_attempt", "Last attempt"),
    ("complete_by", "Complete by"),
)


def frame_ancestors(settings: Settings) -> str:
    """Who may frame the player: loopback pages, and the origins the server was told to trust."""
    extra = [o for o in (*settings.allow_origins, *settings.cors) if o]
    if "*" in extra:
        return "frame-ancestors *"
    return "frame-ancestors " + " ".join(dict.fromkeys((*LOOPBACK_ANCESTORS, *extra)))


def _headers(settings: Settings) -> dict[str, str]:
    policy = (
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; "
        f"form-action 'none'; base-uri 'none'; {frame_ancestors(settings)}"
    )
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": policy,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _session_html(record: dict[str, Any]) -> str:
    code = html.escape(record["course_code"])
    name = html.escape(record.get("course_name") or record["course_code"])
    shown = {key: "-" if record.get(key) is None else str(record[key]) for key, _ in _FIELDS}
    rows = "".join(f"<dt>{label}</dt><dd>{html.escape(shown[key])}</dd>" for key, label in _FIELDS)
    ident, mark = record["id"], pass_mark(record["course_code"])
    aid = (
        '<section class="aid" aria-label="mockserver test aid">\n'
        "<h2>Test aid of the mock server (mockserver) - not part of LearningLogin's course player</h2>\n"
        f'<form data-action="progress" data-session="{ident}"><label>Progress to '
        '<input name="percent" type="number" min="1" max="99" value="50" required> %</label> '
        '<label>adding <input name="hours" type="number" min="0" step="0.1" value="0.5"> h</label> '
        "<button>Progress</button></form>\n"
        f'<form data-action="fail_quiz" data-session="{ident}"><label>Fail the final quiz with score '
        f'<input name="score" type="number" min="0" max="{mark - 1}" value="{max(0, mark - 20)}" required>'
        "</label> <button>Fail final quiz</button></form>\n"
        f'<form data-action="complete" data-session="{ident}"><label>Complete with score '
        f'<input name="score" type="number" min="{mark}" max="100" value="{min(100, mark + 10)}" '
        f"required></label> <button>Complete</button> (pass mark {mark})</form>\n"
        '<p id="aid-result" role="status"></p>\n</section>\n'
        '<script src="/__mockserver/player.js"></script>'
    )
    return (
        f"<h1>{code}: {name}</h1>\n"
        f'<p><progress max="100" value="{record["percent_complete"]}"></progress> '
        f"{record['percent_complete']} %</p>\n<dl>{rows}</dl>\n{aid}"
    )


def _find(state: ServerState, account: str | None, login: str, course: str) -> dict[str, Any] | None:
    if not login.isascii() or not login.isdigit():
        return None
    wanted = int(login)
    found = [
        r
        for r in state.store.records
        if r.get("account") == account and r.get("assignee_login_id") == wanted and r["course_code"] == course
    ]
    return max(found, key=lambda r: r["id"]) if found else None


def player_page(request: web.Request, found: Route, raw_query: bytes) -> web.Response:
    """The player for ``found`` (login id and course code); ``?token=`` names the account."""
    settings = request.app[SETTINGS]
    headers = _headers(settings)
    token = remembered(request, rack.parse_query, raw_query, rack.NO_QUIRKS).get("token")
    tokens = request.app[TOKENS]
    if settings.auth and (not isinstance(token, str) or token not in tokens):
        body = _page(
            AUTH_ERROR, f"<h1>{AUTH_ERROR}</h1>\n<p>The token in the player's URL is missing or wrong.</p>"
        )
        denied = web.Response(status=401, text=body, headers=headers)
        denied[VARY_DECIDED] = True
        return denied
    account = tokens.get(token) if isinstance(token, str) else None
    login, course = found.id or "", found.course or ""
    record = _find(request.app[STATE], account, login, course)
    if record is None:
        text = f"No train session of login {login} in course {course} for this account."
        body = _page("Not found", f"<h1>Train session not found</h1>\n<p>{html.escape(text)}</p>")
        return web.Response(status=404, text=body, headers=headers)
    body = _page(f"{record['course_code']} - course player", _session_html(record))
    response = web.Response(status=200, text=body, headers=headers)
    response[VARY_DECIDED] = True  # one page whatever the Accept
    return response


def session_action(
    state: ServerState, ident: str, action: str, values: object, today: datetime.date
) -> dict[str, Any]:
    """Apply the test aid's ``action`` to session ``ident``; ValueError/KeyError name what is wrong."""
    if action not in ACTIONS:
        raise KeyError(f"no session action {action!r}; one of: {', '.join(ACTIONS)}")
    if not isinstance(values, dict):
        raise ProgressError('expected a JSON object such as {"score": 90, "hours": 1.5}')
    number = int(ident) if ident.isascii() and ident.isdigit() else None
    record = next((r for r in state.store.records if r["id"] == number), None)
    if record is None:
        raise KeyError(f"no train session with id {ident!r}")
    updated = advance(record, action, values, today)
    state.update_record(updated)
    return updated
