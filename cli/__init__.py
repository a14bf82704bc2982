"""The `medici` command line: deploy, topic batch runs and experiments, evaluations.

Nothing under `deployments/` imports this package: these are tools for the people running Medici,
and the Serve application never loads them.
"""
