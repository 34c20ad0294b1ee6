"""The portal service: an HTTP API (``dsar serve``) to submit, follow and deliver requests, with jobs run in the
server process (embedded) or on an RQ queue on Redis (``dsar worker``)."""
