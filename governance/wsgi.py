import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
application = get_wsgi_application()
# What loading the platform made (~150,000 objects) lives as long as the worker: set it
# apart from the cyclic collector, whose oldest-generation passes would otherwise walk
# all of it again in the middle of requests (docs/deployment.md, gunicorn).
gc.collect()  # (what loading left unreachable goes first, not kept for the worker's life)
gc.freeze()
