# Production-like image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORTAL_DATA_DIR=/data
RUN apt-get update \
 && apt-get install -y --no-install-recommends packer git \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN pip install --no-cache-dir --no-deps .  # the portalctl command
RUN useradd --create-home portal && mkdir -p /data && chown portal /data \
 && python scripts/terraform_mirror.py /opt/terraform-mirror /opt/terraformrc
ENV TERRAFORM_CLI_CONFIG=/opt/terraformrc TERRAFORM_PROVIDER_MIRROR=/opt/terraform-mirror
USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
