"""Helpers that tests start for real: servers on 127.0.0.1 standing in for outside services."""
