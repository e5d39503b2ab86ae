# One image for web, worker and beat (docker-compose.yml). Every process starts through
# deploy/entrypoint.sh, the same script CI's production stage runs on the host.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs settings but no database; the keys here are only for this step.
RUN SECRET_KEY=collectstatic-only-not-a-runtime-secret-0123456789 \
    GOVERNANCE_PII_KEY=Y29sbGVjdHN0YXRpYy1vbmx5LW5vdC1hLXJlYWxrZXk= deploy/entrypoint.sh collectstatic
RUN useradd --create-home governance && mkdir -p /app/var && chown -R governance /app/var
USER governance
EXPOSE 8000
ENTRYPOINT ["deploy/entrypoint.sh"]
CMD ["web"]
