"""Medici's Serve deployments: one sub-package per process role (see DESIGN.md)."""
