"""The one redaction step every output goes through."""
