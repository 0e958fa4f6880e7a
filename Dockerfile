# One image for every process; docker-compose.yml picks the command.

FROM node:20-slim AS dashboard
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm install --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt requirements-agents.txt requirements-nodeps.txt ./
RUN pip install -r requirements.txt && pip install --no-deps -r requirements-nodeps.txt
COPY . .
COPY --from=dashboard /web/dist ./web/dist
# collectstatic needs settings, not secrets: a throwaway key for this one step.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input -v 0
RUN useradd --create-home app && mkdir -p var && chown -R app var
USER app
EXPOSE 8000 8001
CMD ["python", "-m", "daphne", "-b", "0.0.0.0", "-p", "8000", "config.asgi:application"]
