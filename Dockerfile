# Build: docker build -t pricewatch .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin pricewatch

FROM debian:bookworm-slim
# reqwest verifies Amazon's certificates against the OS trust store.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /app pricewatch
COPY --from=build /src/target/release/pricewatch /usr/local/bin/pricewatch
USER pricewatch
WORKDIR /app
EXPOSE 5000
ENTRYPOINT ["pricewatch"]
CMD ["run"]
