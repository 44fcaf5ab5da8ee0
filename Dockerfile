# Production image: the server binary plus the built frontend.
# Build: docker build -t youguanjia .   (docker-compose.yml uses it)
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
COPY . .
RUN scripts/install-tools.sh && scripts/build-frontend.sh && cargo build --release -p youguanjia-api

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/youguanjia youguanjia && mkdir -p /var/lib/youguanjia && chown youguanjia /var/lib/youguanjia
COPY --from=build /src/target/release/youguanjia /usr/local/bin/youguanjia
COPY --from=build /src/frontend/dist /usr/share/youguanjia/frontend
USER youguanjia
ENV YGJ_BIND=0.0.0.0:8080 YGJ_DATA_DIR=/var/lib/youguanjia YGJ_FRONTEND_DIR=/usr/share/youguanjia/frontend
EXPOSE 8080
HEALTHCHECK CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["youguanjia"]
CMD ["serve"]
