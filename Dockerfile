# syntax=docker/dockerfile:1
# Build stage: compile TypeScript and the native better-sqlite3 addon.
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci && npm run build && npm prune --omit=dev

# Runtime stage: only what `ticketd run` needs.
FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY migrations ./migrations
# The built-in mail templates and portal pages; operators mount their own folders and set
# TICKETD_TEMPLATES_DIR / TICKETD_TEMPLATES_PAGES_DIR.
COPY config/templates ./config/templates
COPY config/pages ./config/pages
RUN mkdir -p /var/lib/ticketd /etc/ticketd && chown node:node /var/lib/ticketd
USER node
VOLUME ["/var/lib/ticketd"]
ENV TICKETD_DATABASE_PATH=/var/lib/ticketd/ticketd.sqlite
# The public listener (the portal and /healthz) on 8080; the admin listener (/healthz, /readyz, /metrics) on
# 9090. Inside the container both bind all interfaces: publish 9090 on the host's loopback only.
ENV TICKETD_HTTP_PORT=8080 TICKETD_HTTP_HOST=0.0.0.0 TICKETD_HTTP_ADMIN_PORT=9090 TICKETD_HTTP_ADMIN_HOST=0.0.0.0
EXPOSE 8080 9090
# No curl in the slim image: Node's own fetch asks /healthz (process alive; /readyz is for orchestrators).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.TICKETD_HTTP_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The runtime settings of bin/ticketd.js's first line (src/shared/launch.test.ts checks they match).
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["node", "--max-semi-space-size=2", "--heap-growing-percent=30", "bin/ticketd.js"]
CMD ["run", "--config", "/etc/ticketd/ticketd.yaml"]
