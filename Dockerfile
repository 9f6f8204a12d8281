# syntax=docker/dockerfile:1
# One image for the API and the worker; the command picks the app:
#   node dist/apps/api/main.js
#   node dist/apps/worker/main.js migrate|collect|import|aggregate|run|demo
# The chart passes those arguments to the `node` entry point.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Production dependencies only, installed apart from the build so no dev tooling ships, nor the
# embedded PostgreSQL (an optional dependency for `make run`; in a cluster the database is named).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /src/dist ./dist
COPY --chown=root:root package.json ./
# Numeric, so Kubernetes can verify runAsNonRoot; the files stay root-owned and read-only to it.
# The app writes only to /tmp (an emptyDir under the chart's read-only root filesystem).
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node"]
CMD ["dist/apps/api/main.js"]
