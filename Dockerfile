# cdc-fanout's image. The build stage needs the dev dependencies (TypeScript); the runtime stage
# carries only the production dependencies and the compiled dist/, and runs as the unprivileged
# `node` user that the official image already has.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# The manifests first, so that the dependency layer is reused while only sources change.
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS runtime
# HTTP_HOST: the HTTP surface binds 127.0.0.1 by default, which a published port cannot reach.
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=9464
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 9464
# The slim image has no curl; Node 20's fetch does the probe. It reads HTTP_PORT at run time so an
# overridden port is still probed.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HTTP_PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The consumer commits offsets and closes its clients on SIGTERM; say so rather than rely on the
# default.
STOPSIGNAL SIGTERM
# V8 sizes its heap for throughput: 16 MiB semi-spaces, and an old generation let grow up to 4x what
# survived the last full collection before it collects again. Each batch outlives a sink write and is
# promoted, so that slack is garbage. 4 MiB semi-spaces, and growth capped at 2x with both sinks
# (HEAP_GROWING_PERCENT, which the service sets at start from SINKS), keep a catch-up with both sinks
# near 175 MiB of RSS instead of 230-240 MiB (bench/results/tuning.md).
CMD ["node", "--max-semi-space-size=4", "dist/src/cli/main.js", "start"]
