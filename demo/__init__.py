"""The demo: a deterministic, realistic two years of river work, written through the domain layer.

Nothing in the domain apps imports from here. `manage.py seed_demo` runs it.
"""
