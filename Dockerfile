# ComplyWise: the API, the scan worker and the built web app in one image. The process role is chosen at
# run time with COMPLYWISE_ROLE (api, worker or all); see compose.yaml and docs/operations.md.
#
# BASE_IMAGE must provide Node.js 24 with npm on a glibc Linux. The official image is the default; machines
# without a registry build their own base (test/container.test.ts builds one from Debian packages).
ARG BASE_IMAGE=docker.io/library/node:24-bookworm-slim

# --- dependencies: every package, as locked (cached until package-lock.json changes) -----------------------
FROM ${BASE_IMAGE} AS dependencies
WORKDIR /src
COPY package.json package-lock.json ./
COPY app/package.json app/
RUN npm ci --no-audit --no-fund --loglevel=warn

# --- runtime dependencies: the same without development packages (cached like the above) --------------------
FROM dependencies AS runtime-dependencies
RUN npm prune --omit=dev --no-audit --no-fund --loglevel=warn

# --- app: the static web app ---------------------------------------------------------------------------------
FROM dependencies AS app
COPY . .
RUN npm run build -w app

# --- runtime: sources, runtime dependencies and the built app, run by an unprivileged user -----------------
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
RUN mkdir -p /var/lib/complywise && chown ${APP_UID}:${APP_UID} /var/lib/complywise && chmod 700 /var/lib/complywise
# The largest layer first, so that a source change leaves it cached.
COPY --from=runtime-dependencies /src/node_modules ./node_modules
COPY . .
COPY --from=app /src/app/build ./app/build
USER ${APP_UID}:${APP_UID}
VOLUME /var/lib/complywise
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/api/health/ready`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "api/src/main.ts"]
