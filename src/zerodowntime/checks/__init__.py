"""Static checks run before a deploy: migration SQL, release compatibility, GraphQL policy.

``zdt check`` (and the Django system check of this app) runs them all; see ``docs/checks.md``.
"""
