"""Drive headless Chromium over CDP: open the course player, use the test aid's forms, read the page.

    mockserver serve --port 31600 &            # a mock on loopback (its token: dev-token)
    .venv/bin/python tools/player_browser_check.py "http://127.0.0.1:31600/api/train_sessions/12/H2S?token=dev-token"

Needs Debian's ``chromium`` and aiohttp (the project's). Prints the page after each action
(progress 40 %, fail the final quiz with 30, complete with 10 bypassing the form's own
validation, which the control API refuses with a 422 shown on the page, then complete with 95)
and saves a screenshot to /tmp/player-completed.png. A manual check, not part of the suite.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp

PORT = 31602
SUBMIT = (
    "(() => {{ const f = document.querySelector('form[data-action={action}]');"
    " f.querySelector('input[name={field}]').value = '{value}';"
    " const valid = f.checkValidity(); f.noValidate = true; f.requestSubmit(); return valid; }})()"
)


def _shown(text: str) -> str:
    return " | ".join(line for line in text.splitlines() if line.strip())


async def _drive(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        targets: list[dict[str, Any]] = []
        for _ in range(50):
            try:
                targets = await (await http.get(f"http://127.0.0.1:{PORT}/json")).json()
                break
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
        page = next(t for t in targets if t["type"] == "page")
        async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            counter = 0

            async def call(method: str, **params: Any) -> dict[str, Any]:
                nonlocal counter
                counter += 1
                await ws.send_json({"id": counter, "method": method, "params": params})
                while True:
                    message = json.loads((await ws.receive()).data)
                    if message.get("id") == counter:
                        return dict(message.get("result", message))

            async def text() -> str:
                found = await call(
                    "Runtime.evaluate", expression="document.body.innerText", returnByValue=True
                )
                return str(found["result"]["value"])

            async def submit(action: str, field: str, value: str) -> None:
                script = SUBMIT.format(action=action, field=field, value=value)
                found = await call("Runtime.evaluate", expression=script, returnByValue=True)
                print(f"{action} {field}={value} (the form's own validation: {found['result'].get('value')})")
                await asyncio.sleep(1.5)  # the fetch, then the reload
                print("   ", _shown(await text()))

            await call("Page.enable")
            await call("Page.navigate", url=url)
            await asyncio.sleep(1.5)
            print("opened:", _shown(await text()))
            await submit("progress", "percent", "40")
            await submit("fail_quiz", "score", "30")
            await submit("complete", "score", "10")
            await submit("complete", "score", "95")
            shot = await call("Page.captureScreenshot", format="png")
            Path("/tmp/player-completed.png").write_bytes(base64.b64decode(shot["data"]))


def main(url: str) -> None:
    command = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--remote-debugging-port={PORT}",
        "--user-data-dir=/tmp/player-check-chrome",
        "about:blank",
    ]
    browser = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        asyncio.run(_drive(url))
    finally:
        browser.terminate()
        browser.wait(10)


if __name__ == "__main__":
    main(sys.argv[1])
