"""Agents, their executions and the events of each execution."""
