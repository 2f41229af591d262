"""Celery tasks (thin adapters) and the pure-Python Terraform/Packer runner."""
