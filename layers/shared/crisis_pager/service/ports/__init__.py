"""The ports the use cases need, one module per port. Adapters implement them; tests fake
them (tests/fakes/), and tests/contract runs the same tests on fakes and adapters.

- ``incidents``: an incident's lifecycle; ``pages``: a rung's claim, lease and page;
  ``codes``: reply codes; ``follow_ups``: a resolved crisis's follow-up; ``store``: the
  four together, as the use cases still take them.
- ``timeline``, ``directory`` (and the rota guard's ProgramIndex), ``ladder`` (the timer),
  ``messaging`` (SMS, voice, opt-outs, alerts), ``hotline``, ``participants`` (and the
  brief links), ``clock``.

The errors a port raises (SmsError, SendAborted, CallbackError) live in domain/errors.py,
since adapters may not import service/.
"""
