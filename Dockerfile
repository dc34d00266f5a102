# syntax=docker/dockerfile:1
# The container image for kpt and kustomize container mode:
#   kpt fn eval --image ghcr.io/inject-sidecar/inject-sidecar:0.1.0 -- ...
# Build stage: the bundle and the standalone binary. Final stage: Node and one file, run as nobody.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/ scripts/
COPY src/ src/
# build:sea builds the bundle first, then the standalone binary from it.
RUN npm run build:sea

# For Argo CD's repo-server, which has no Node: an init container copies this binary into a
# volume the repo-server mounts (examples/argocd).
FROM busybox:1.37 AS tools
COPY --from=build /src/dist/inject-sidecar-linux-x64 /inject-sidecar
USER nobody
ENTRYPOINT ["/inject-sidecar"]

FROM node:20-alpine AS function
LABEL org.opencontainers.image.title="inject-sidecar" \
      org.opencontainers.image.description="KRM function: a filtering sidecar (WAF, proxy) in front of label-selected workloads, with their Services rewired to it" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.documentation="README.md"
COPY --from=build /src/dist/inject-sidecar /usr/local/bin/inject-sidecar
WORKDIR /tmp
USER nobody
ENTRYPOINT ["node", "/usr/local/bin/inject-sidecar"]
