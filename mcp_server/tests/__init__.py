"""Tests of the MCP agent server; the HTTP ones run against the real process."""
