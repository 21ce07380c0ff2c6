# Image for the bridge's two binaries, used by docker-compose.yml:
#   worker          the Temporal workers (workflows, HubSpot and Extole activities)
#   starter serve   the webhook server (HTTP_ADDR, default :8080)
#   starter sandbox the simulated Extole and HubSpot APIs (local testing only)
# There is no ENTRYPOINT and no CMD of our own: the compose `command:` chooses the binary, e.g.
#   docker run --rm --env-file .env <image> starter serve
# Configuration is environment variables only (.env.example, README.md). On developer machines,
# `make run` runs the same binaries without Docker.

# --- build -------------------------------------------------------------------------------------
# go.mod says go 1.26; GOTOOLCHAIN=local keeps the build on this image's Go instead of fetching another.
FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOTOOLCHAIN=local

# Dependencies first, so this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download

# Only the Go packages: never bin/ (the 250 MB Temporal CLI), .temporal/ (dev data) or .env (secrets).
COPY cmd ./cmd
COPY internal ./internal
COPY activities ./activities
COPY workflows ./workflows
RUN go build -trimpath -ldflags="-s -w" -o /out/worker ./cmd/worker \
 && go build -trimpath -ldflags="-s -w" -o /out/starter ./cmd/starter

# --- run ---------------------------------------------------------------------------------------
# alpine already ships the CA bundle the HTTPS clients need and busybox wget for the compose healthcheck.
FROM alpine:3.20
RUN addgroup -S -g 10001 bridge \
 && adduser -S -D -H -u 10001 -G bridge -s /sbin/nologin bridge
COPY --from=build /out/worker /out/starter /usr/local/bin/
USER 10001:10001
# The webhook server's default HTTP_ADDR (starter serve); the worker listens on nothing.
EXPOSE 8080
