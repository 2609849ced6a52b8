"""Cursor-on-Target gateway: the releasable picture out to TAK, friendly tracks in (issue 6)."""
