"""Ship a pinned Medici: pin serve_config.yaml to a commit, preflight it, render the KubeRay manifest.

Run as `medici deploy <command>` or `python -m cli.deploy <command>` (see `--help`). Nothing here is imported by the
Serve application: these are tools for the person deploying it.
"""
