"""Ship a pinned Medici: pin serve_config.yaml to a commit, preflight it, render the KubeRay manifest.

Run as `python -m deploy <command>` (see `python -m deploy --help`). Nothing here is imported by the
Serve application: these are tools for the person deploying it.
"""
