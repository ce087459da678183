"""The rehearsal: upgrade a populated database under live traffic and measure what clients saw.

Data flows one way: deploy (``cluster``) -> traffic (``traffic``) -> probes (``probes``) ->
upgrade (``orchestrator``) -> integrity (``integrity``) -> report (``summary``, ``report``).
The service plugs in its traffic and checks through ``scenario``.
"""
