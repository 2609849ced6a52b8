"""The HTTP API: an app factory and thin routers (parse → store → respond)."""
