"""webhook: HTTP ingress for Telegram updates and KIE callbacks, plus /health, /ready and /metrics."""
