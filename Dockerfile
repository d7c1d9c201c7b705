# syntax=docker/dockerfile:1
# Build: cgo for SQLite, with the same build tags as `make build`.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -tags sqlite_fts5 -trimpath -ldflags="-s -w" -o /out/headlines . \
    && mkdir -p /out/data

# Run: a small Debian image (glibc for the cgo binary), as a non-root user.
FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/headlines /usr/local/bin/headlines
COPY --from=build --chown=65532:65532 /out/data /data
ENV HEADLINES_ADDR=:8080 \
    HEADLINES_DB=/data/headlines.db
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/headlines", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/headlines"]
CMD ["serve"]
