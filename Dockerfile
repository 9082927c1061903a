FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY citrusadmin ./citrusadmin
COPY syncs ./syncs
RUN pip install -c constraints.txt .
COPY . .
RUN DEBUG=1 python manage.py collectstatic --noinput
RUN useradd --create-home citrus && mkdir -p /app/var && chown -R citrus /app/var
USER citrus
EXPOSE 8000
CMD ["gunicorn", "citrusadmin.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
