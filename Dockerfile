# Artel server image: build with the Rust toolchain, run on slim Debian.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p artel && cp target/release/artel /artel

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl libssl3 && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /data artel && mkdir -p /data/uploads && chown artel /data /data/uploads
COPY --from=build /artel /usr/local/bin/artel
USER artel
ENV ARTEL_DATA_DIR=/data ARTEL_LISTEN=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK CMD curl -fsS http://127.0.0.1:8080/api/v1/ready || exit 1
ENTRYPOINT ["artel"]
CMD ["serve"]
