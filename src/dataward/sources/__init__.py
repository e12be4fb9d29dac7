"""Where the register's datasets live: the sources file, its loader and its checks.

Imports the core and the register's models only, never a domain: requests and retention both
stand on it (docs/architecture-parts.json).
"""
