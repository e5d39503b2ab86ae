"""The baseline of bench_api.py: a one-field model, in its own database, that exists only
in the benchmark's settings (bench/bench_settings.py)."""

from django.db import models


class Note(models.Model):
    text = models.CharField(max_length=200)

    def __str__(self):
        return self.text
