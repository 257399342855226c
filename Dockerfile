# syntax=docker/dockerfile:1
#
# One image recipe for the four apps:
#   docker build --build-arg APP=ingest-api -t recording-vault/ingest-api .   (or worker, dashboard, recordings-api)
# docker-compose.yml builds each app with its own APP. Every layer before `ARG APP` is the same for the
# four apps, so they share the dependency download and the TypeScript build.

# Node 24 on Debian 12 (bookworm), pinned to a patch release; keep it within package.json's engines.
# Pin the digest as well (`FROM node:24.11.1-bookworm-slim@sha256:…`) where a registry can be asked for
# it (`docker buildx imagetools inspect node:24.11.1-bookworm-slim`): this file was written without access
# to an image registry, so no digest could be looked up or checked.
FROM node:24.11.1-bookworm-slim AS base

# The pnpm version pinned in package.json's packageManager, alone in a file: the pnpm install layer
# below then stays cached when other parts of package.json change.
FROM base AS pnpm-version
WORKDIR /src
COPY package.json ./
RUN node -e " \
      const pm = JSON.parse(require('fs').readFileSync('package.json', 'utf8')).packageManager ?? ''; \
      const m = /^pnpm@([0-9]+[.][0-9]+[.][0-9]+)/.exec(pm); \
      if (!m) { console.error('package.json packageManager must be pnpm@x.y.z, got: ' + pm); process.exit(1); } \
      require('fs').writeFileSync('/pnpm-version', m[1]);"

FROM base AS build
# CI=true: no prompts, no progress bars. PNPM_CONFIG_PM_ON_FAIL=ignore: the pnpm installed below is the
# pinned one, so pnpm's own version switch has nothing to do (and, under --frozen-lockfile, it fails
# where it cannot record the pin's per-platform binaries in pnpm-lock.yaml).
ENV CI=true PNPM_CONFIG_PM_ON_FAIL=ignore
# Corepack cannot verify pnpm's signatures against every registry: install pnpm with npm instead.
COPY --from=pnpm-version /pnpm-version /tmp/pnpm-version
RUN npm install --global --no-fund --no-audit "pnpm@$(cat /tmp/pnpm-version)" && pnpm --version
WORKDIR /repo
# Download every locked package into pnpm's store. This needs only the lockfile and the workspace file
# (catalog, allowBuilds), so the layer is reused until the dependencies change.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
# Then the sources; the install links from the store without the network.
COPY . .
RUN pnpm install --frozen-lockfile --offline
# Compiles every app and package to dist/: production runs JavaScript, since Node does not strip types
# under node_modules, which is where `pnpm deploy` puts the workspace packages.
RUN pnpm build

ARG APP
# `pnpm deploy` copies the app (its `files`: dist) with its production dependencies, the workspace
# packages injected as copies of their own dist/, into a self-contained /out.
RUN case "${APP}" in \
      ingest-api|worker|dashboard|recordings-api) ;; \
      *) echo "build with --build-arg APP=ingest-api|worker|dashboard|recordings-api (got '${APP}')" >&2; exit 1 ;; \
    esac \
 && pnpm deploy --filter "@recording-vault/${APP}" --prod /out \
 && test -f /out/dist/main.js

FROM base AS runtime
# tini as PID 1 forwards SIGTERM to node (which then shuts down in order) and reaps zombies, also under a
# plain `docker run` without `--init`; compose therefore does not set `init: true` as well.
# ffmpeg in the recordings API's image alone: it transcodes a recording asked for in the other format than
# the stored one. Debian's ffmpeg (`--no-install-recommends`) brings some 90 packages and over 150 MiB of
# codec libraries, which no other app needs.
ARG APP
RUN apt-get update \
 && apt-get install --yes --no-install-recommends tini \
 && if [ "$APP" = recordings-api ]; then apt-get install --yes --no-install-recommends ffmpeg; fi \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only for the app. Folder storage (no S3_ENDPOINT) needs a writable volume:
# mount one at /data and set STORAGE_DIR=/data/recordings.
COPY --from=build /out ./
RUN install --directory --owner=node --group=node /data
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]
# The deployed package's own path (apps/<APP>/dist/main.js in the workspace). No HEALTHCHECK here: each
# app has its own port variable, and docker-compose.yml defines the checks.
CMD ["node", "dist/main.js"]
