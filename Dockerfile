# syntax=docker/dockerfile:1
# Production image: the server binary and the built frontend on a slim Debian, run as a non-root
# user. Build: docker build -t youguanjia .   (docker-compose.yml builds it too)

# Node.js ≥ 20 for the frontend build's tools (wasm-opt from npm binaryen, brotli); Debian
# bookworm's own nodejs is 18.
FROM node:22-bookworm-slim AS node

FROM rust:1.95-bookworm AS build
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
WORKDIR /src
# The tools (wasm target, wasm-bindgen CLI at Cargo.lock's version, npm packages) in their own
# layer: rebuilt only when the lockfiles or the install script change.
COPY scripts/install-tools.sh scripts/
COPY Cargo.lock ./
COPY tests/e2e/package.json tests/e2e/package-lock.json tests/e2e/
RUN scripts/install-tools.sh
COPY . .
# Cargo's registry and target directory are build caches, not image layers.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    scripts/build-frontend.sh \
 && cargo build --release --locked -p youguanjia-api --bin youguanjia \
 && cp target/release/youguanjia /usr/local/bin/youguanjia

FROM debian:bookworm-slim
# curl for the health check; ca-certificates for https to S3 and the identity provider.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/youguanjia --shell /usr/sbin/nologin youguanjia \
 && mkdir -p /var/lib/youguanjia && chown youguanjia:youguanjia /var/lib/youguanjia
COPY --from=build /usr/local/bin/youguanjia /usr/local/bin/youguanjia
COPY --from=build /src/frontend/dist /usr/share/youguanjia/frontend
USER youguanjia
ENV YGJ_BIND=0.0.0.0:8080 YGJ_DATA_DIR=/var/lib/youguanjia YGJ_FRONTEND_DIR=/usr/share/youguanjia/frontend
EXPOSE 8080
# Readiness (the database answers); /healthz is the liveness probe. The demo loads before the
# server listens, hence the long start period.
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["youguanjia"]
CMD ["serve"]
