"""The C templates, compiled by templategen.py (generated; do not edit)."""
