"""What an HTTP caller may reach: the URI allow-lists, the scoped API keys and the start-up refusal.

Applied by the ingress only: the command line (`medici topics batch`), run by the operator on their own
machine, reads and writes any URI.
"""
