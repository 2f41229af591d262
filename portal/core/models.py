from django.db import models


class WorkerPing(models.Model):
    """A row a Celery worker writes when it processes a ping task; proves the worker path end to end."""

    note = models.CharField(max_length=200)
    hostname = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"ping {self.note} from {self.hostname}"
