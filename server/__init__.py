"""charter-drafts' web server: HTTP API, pages and the live-document websocket."""
