"""The recorded wire: exchanges, server-sent events, evidence budgets and how error responses are classified."""
