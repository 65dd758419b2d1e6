"""Run history: every recorded probe in a local SQLite database, the signals drift is judged on, and the drift."""
