# ComplyWise: the API, the scan worker and the built web app in one image. The process role is chosen at
# run time with COMPLYWISE_ROLE (api, worker or all); see compose.yaml and docs/operations.md.
#
# BASE_IMAGE must provide Node.js 24 with npm on a glibc Linux. The official image is the default; machines
# without a registry build their own base (test/container.test.ts builds one from Debian packages).
ARG BASE_IMAGE=docker.io/library/node:24-bookworm-slim

# --- build: all dependencies, then the static app, then drop the development dependencies ------------------
FROM ${BASE_IMAGE} AS build
WORKDIR /src
# The manifests first, so a source change does not reinstall the dependencies.
COPY package.json package-lock.json ./
COPY app/package.json app/
RUN npm ci --no-audit --no-fund --loglevel=warn
COPY . .
RUN npm run build -w app \
 && npm prune --omit=dev --no-audit --no-fund --loglevel=warn \
 && rm -rf app/src app/.svelte-kit

# --- runtime: sources, production dependencies and the built app, run by an unprivileged user ---------------
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="ComplyWise" \
      org.opencontainers.image.licenses="Apache-2.0"
# A numeric user that owns nothing in the image: the code is read-only to the process, only the data
# folder is writable. Numeric so that orchestrators can verify runAsNonRoot.
ARG APP_UID=10001
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    COMPLYWISE_DATA_DIR=/var/lib/complywise \
    COMPLYWISE_APP_DIR=/opt/complywise/app/build
WORKDIR /opt/complywise
COPY --from=build /src /opt/complywise
RUN mkdir -p /var/lib/complywise && chown ${APP_UID}:${APP_UID} /var/lib/complywise && chmod 700 /var/lib/complywise
USER ${APP_UID}:${APP_UID}
VOLUME /var/lib/complywise
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/api/health/ready`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "api/src/main.ts"]
