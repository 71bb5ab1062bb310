"""The aiohttp server: the app, its views, the served data and the control API."""
