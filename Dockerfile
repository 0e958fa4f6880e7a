# Two images from one file: `platform` (api, worker, beat; docker-compose.yml
# picks the command) and `agent-server` (mcp_server with its engines, which
# the platform image does not carry).

FROM node:20-slim AS dashboard
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm install --no-audit --no-fund
COPY web/ ./
COPY docs/openapi.yaml /docs/openapi.yaml
RUN npm run build

FROM python:3.11-slim AS base
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home app

FROM base AS agent-server
COPY requirements-agents.txt requirements-nodeps.txt ./
RUN pip install -r requirements-agents.txt && pip install --no-deps -r requirements-nodeps.txt
COPY contract/ ./contract/
COPY mcp_server/ ./mcp_server/
# The knowledge index lives here (a volume in docker-compose.yml).
ENV MCP_DATA_DIR=/data
RUN mkdir /data && chown app /data
USER app
EXPOSE 8001
CMD ["python", "-m", "mcp_server", "--host", "0.0.0.0", "--port", "8001"]

FROM base AS platform
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY . .
RUN rm -rf mcp_server
COPY --from=dashboard /web/dist ./web/dist
# collectstatic needs settings, not secrets: a throwaway key for this one step.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input -v 0
RUN mkdir -p var && chown -R app var
USER app
EXPOSE 8000
CMD ["python", "-m", "daphne", "-b", "0.0.0.0", "-p", "8000", "config.asgi:application"]
