"""The recording client every probe goes through, and when to stop sending."""
