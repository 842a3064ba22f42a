"""Deployment helpers, run by the operator and by docker-compose's ``bcd35-init`` service, not
by the nightly run: ``python -m deploy.secrets .env`` generates every secret of a deployment,
``python -m deploy.provision`` creates its databases and roles (see docs/production.md)."""
