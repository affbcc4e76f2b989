"""Identity and access posture: checks are pure functions of a tenant snapshot.

No I/O here: the catalogue (controls, check metadata, the shared-responsibility matrix) is data
shipped in ``catalog/`` and loaded by :mod:`remit.posture.catalog`; checks read a
:class:`~remit.posture.data.TenantData`; :func:`~remit.posture.engine.evaluate` turns them into
findings.
"""
