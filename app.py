"""Medici's Serve application. Importing this module starts nothing: no Ray, no model.

`app` is an application builder: Serve calls it with the `args` of serve_config.yaml (validated
as `AppArgs`), and `serve run app:app` calls it with none.
"""

from deployments.builder import AppArgs, build_app

app = build_app

__all__ = ["AppArgs", "app", "build_app"]
