# Build: docker build -t pricewatch .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin pricewatch

FROM debian:bookworm-slim
# reqwest verifies Amazon's certificates against the OS trust store; curl is
# for the HEALTHCHECK.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin pricewatch \
    && mkdir -p /app/data && chown -R pricewatch:pricewatch /app
COPY --from=build /src/target/release/pricewatch /usr/local/bin/pricewatch
USER pricewatch
WORKDIR /app
# The embedded default keeps its SQLite file in /app/data: keep it on a volume.
VOLUME ["/app/data"]
ENV PORT=5000
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${PORT}/healthz" || exit 1
ENTRYPOINT ["pricewatch"]
CMD ["run"]
