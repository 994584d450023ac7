"""DynamoDB through PynamoDB: the only code that knows table and attribute names.

- ``tables``: binds every model to its table from settings (bootstrap calls ``bind``) and
  shares one botocore client; ``conditional``: ``put_if``/``update_if``/``delete_if``.
- The incidents table: ``items`` (its models and shared conditions) and one adapter per
  port: ``incidents`` (the lifecycle), ``pages`` (claims, the paging lease, calls),
  ``codes`` (reply codes), ``follow_ups``, ``opt_outs``; ``store`` serves the first four as
  the one ``Incidents`` port the use cases still take. ``brief_links`` keeps the
  clinicians' secure links (hashes only) there too.
- ``timeline``: the append-only timeline table. ``participants``: safety plans,
  disclosures, referral notices.
- The admin-edited tables: ``admin_items`` (programs, rotas, overrides, clinicians),
  ``directory`` (the Directory port, validated on every read), ``schedules`` (the admin
  CLI's writes).
- ``streams``: what a stream record is about, from its keys alone.
"""
