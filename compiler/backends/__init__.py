"""Backends: each turns the resolved model into files under generated/."""
