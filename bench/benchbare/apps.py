from django.apps import AppConfig


class BenchBareConfig(AppConfig):
    name = "bench.benchbare"
    label = "benchbare"
    verbose_name = "Benchmark baseline"
