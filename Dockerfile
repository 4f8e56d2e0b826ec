# logwharf's image: one image for every role (server, agent, up). Multi-stage: the build stage has
# the compilers the native modules need (better-sqlite3, zstd-napi) and the dev dependencies; the
# runtime stage has only the built package and its production modules. docs/deploy.md builds it.
# Paths and the user id are shared with src/deploy/layout.ts (test/unit/deploy/dockerfile.test.ts).
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# `npm ci` runs the install scripts the package allows and `prepare` (the build); prune keeps production modules.
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /src/package.json /src/README.md ./
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist ./dist
COPY --from=build /src/docs ./docs
COPY --from=build /src/node_modules ./node_modules
# A user of its own (uid 10001, as the Kubernetes manifests' runAsUser); the agent DaemonSet and the
# Compose service override it with root only to read root-owned logs and the Docker socket.
RUN groupadd --gid 10001 logwharf && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin logwharf \
 && ln -s /app/bin/logwharf /usr/local/bin/logwharf \
 && mkdir -p /var/lib/logwharf && chown 10001:10001 /var/lib/logwharf
USER 10001:10001
ENV NODE_ENV=production
EXPOSE 3100
VOLUME ["/var/lib/logwharf"]
# /ready answers 200 once the store is open (the agent's own /ready is on 3101 and probed by Kubernetes).
# Plain HTTP on the default port; a server with tls.cert_file needs its own check (docs/deploy.md).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3100/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/app/bin/logwharf"]
CMD ["server", "--listen", "0.0.0.0:3100", "--data", "/var/lib/logwharf"]
