"""The `crisis-pager` CLI for admins and supervisors: it reads and writes the real tables
(rotas, overrides, participants' safety plans). Installed with the ``admin`` extra
(``pip install 'crisis-pager[admin]'``, which brings PyYAML for rota files); never shipped
to Lambda."""
